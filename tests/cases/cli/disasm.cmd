$SCOPEC compile disasm.scope -o "$TMP/d.img" && cd "$TMP" && $SCOPEC disasm d.img
