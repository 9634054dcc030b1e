$SCOPEC test --help
