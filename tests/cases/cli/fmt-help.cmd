$SCOPEC fmt --help
