$SCOPEC keygen --output k
