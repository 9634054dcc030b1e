$SCOPEC compile missing.scope -o "$TMP/x.img"; s=$?; ls "$TMP"; exit $s
