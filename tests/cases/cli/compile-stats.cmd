$SCOPEC compile --stats --max-states=16 ok.scope -o"$TMP/ok.img" && $SCOPEC eval "$TMP/ok.img" <ok.requests
