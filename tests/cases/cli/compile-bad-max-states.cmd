$SCOPEC compile --max-states=15 ok.scope -o x.img; $SCOPEC compile --max-states=16777217 ok.scope -o x.img; $SCOPEC compile --max-states=1k ok.scope -o x.img
