$SCOPEC -h frobnicate
