$SCOPEC sign -h
