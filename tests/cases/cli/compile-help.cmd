$SCOPEC compile --help >"$TMP/a" && $SCOPEC help compile >"$TMP/b" && cmp "$TMP/a" "$TMP/b" && cat "$TMP/a"
