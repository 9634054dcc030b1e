$SCOPEC disasm missing.img
