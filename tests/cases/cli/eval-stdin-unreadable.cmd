$SCOPEC compile ok.scope -o "$TMP/ok.img" && $SCOPEC eval "$TMP/ok.img" <.
