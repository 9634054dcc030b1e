cd "$TMP" && echo old >k.pub.pem && $SCOPEC keygen --out=k; s=$?; ls; exit $s
