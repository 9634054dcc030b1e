$SCOPEC diff --max-states=40 disasm.scope ok.scope
