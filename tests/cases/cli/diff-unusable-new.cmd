$SCOPEC diff ok.scope bad.scope
