$SCOPEC fmt -w
