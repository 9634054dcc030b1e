$SCOPEC keygen --out "$TMP/$(printf "%04100d" 0)"
