$SCOPEC frobnicate
