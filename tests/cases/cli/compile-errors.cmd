$SCOPEC compile bad.scope -o"$TMP/x.img"; s=$?; ls "$TMP"; exit $s
