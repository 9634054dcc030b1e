$SCOPEC fmt missing.scope ok.scope
