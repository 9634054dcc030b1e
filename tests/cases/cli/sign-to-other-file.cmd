$SCOPEC compile ok.scope -o "$TMP/ok.img" && cd "$TMP" && $SCOPEC sign ok.img --key "$OLDPWD/keys/a.pem" -o signed.img && $SCOPEC verify ok.img --key "$OLDPWD/keys/a.pub.pem"; ls
