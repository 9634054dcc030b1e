$SCOPEC help eval
