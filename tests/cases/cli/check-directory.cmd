$SCOPEC check .
