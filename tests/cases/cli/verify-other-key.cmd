$SCOPEC compile ok.scope -o "$TMP/ok.img" && cd "$TMP" && $SCOPEC sign ok.img --key "$OLDPWD/keys/b.pem" >/dev/null && $SCOPEC verify ok.img --key "$OLDPWD/keys/a.pub.pem"
