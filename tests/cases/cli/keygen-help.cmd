$SCOPEC keygen --help
