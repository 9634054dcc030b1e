$SCOPEC compile ok.scope -o "$TMP/ok.img" && cd "$TMP" && head -c 200 ok.img >cut.img && $SCOPEC sign cut.img --key "$OLDPWD/keys/a.pem"; s=$?; cmp -s cut.img ok.img; exit $s
