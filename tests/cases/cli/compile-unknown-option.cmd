$SCOPEC compile --optimize ok.scope -o x.img
