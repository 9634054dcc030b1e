f=$(printf "%0240d" 0).scope && cp ugly.scope "$TMP/$f" && cd "$TMP" && $SCOPEC fmt -w "$f"; s=$?; cmp -s "$f" "$OLDPWD/ugly.scope" && ls && exit $s
