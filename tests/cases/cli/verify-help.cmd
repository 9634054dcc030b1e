$SCOPEC verify --help
