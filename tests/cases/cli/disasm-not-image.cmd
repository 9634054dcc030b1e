$SCOPEC disasm ok.scope
