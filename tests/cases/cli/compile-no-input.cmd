$SCOPEC compile -o x.img
