$SCOPEC compile ok.scope -o "$TMP/ok.img" && $SCOPEC eval --reference "$TMP/ok.img"
