$SCOPEC diff ok.scope
