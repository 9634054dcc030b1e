$SCOPEC check -h
