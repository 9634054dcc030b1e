$SCOPEC disasm a.img b.img
