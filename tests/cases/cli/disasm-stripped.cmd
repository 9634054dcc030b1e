$SCOPEC compile --strip disasm.scope -o "$TMP/d.img" && cd "$TMP" && $SCOPEC disasm d.img | head -40
