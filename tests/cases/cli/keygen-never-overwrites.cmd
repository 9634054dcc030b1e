cd "$TMP" && echo old >k.pem && $SCOPEC keygen --out k; s=$?; cat k.pem; ls; exit $s
