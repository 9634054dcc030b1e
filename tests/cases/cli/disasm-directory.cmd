$SCOPEC disasm .
