$SCOPEC diff --help
