$SCOPEC compile ok.scope -o "$TMP/no/such/dir/x.img"
