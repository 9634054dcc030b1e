$SCOPEC disasm --raw a.img
