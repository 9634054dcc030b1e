$SCOPEC check ok.scope missing.scope bad.scope
