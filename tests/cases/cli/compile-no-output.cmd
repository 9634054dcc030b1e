$SCOPEC compile --strip ok.scope
