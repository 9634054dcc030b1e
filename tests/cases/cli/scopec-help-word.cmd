$SCOPEC help
