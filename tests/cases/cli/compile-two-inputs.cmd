$SCOPEC compile ok.scope warn.scope -o x.img
