$SCOPEC keygen
