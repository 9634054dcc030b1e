$SCOPEC disasm
