$SCOPEC compile ok.scope -o "$TMP/ok.img" && cd "$TMP" && $SCOPEC sign ok.img --key "$OLDPWD/keys/a.pem" -o no/such/dir.img
