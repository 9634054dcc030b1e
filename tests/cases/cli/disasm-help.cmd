$SCOPEC disasm -h && $SCOPEC help disasm
