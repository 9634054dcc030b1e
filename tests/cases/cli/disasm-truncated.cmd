$SCOPEC compile ok.scope -o "$TMP/ok.img" && head -c 100 "$TMP/ok.img" >"$TMP/cut.img" && cd "$TMP" && $SCOPEC disasm cut.img
