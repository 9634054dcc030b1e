$SCOPEC compile ok.scope -o
