$SCOPEC diff ok.scope ok.scope ok.scope
