$SCOPEC test -v ok.scope
