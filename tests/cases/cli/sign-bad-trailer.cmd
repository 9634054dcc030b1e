$SCOPEC compile ok.scope -o "$TMP/ok.img" && cd "$TMP" && $SCOPEC sign ok.img --key "$OLDPWD/keys/a.pem" >/dev/null && head -c -1 ok.img >bad.img && $SCOPEC sign bad.img --key "$OLDPWD/keys/a.pem"
