$SCOPEC fmt --diff ok.scope
