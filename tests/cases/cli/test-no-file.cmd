$SCOPEC test
