$SCOPEC compile ok.scope -o "$TMP/ok.img" && cd "$TMP" && $SCOPEC verify ok.img --key "$OLDPWD/keys/a.pub.pem"
