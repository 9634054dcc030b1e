$SCOPEC --help
