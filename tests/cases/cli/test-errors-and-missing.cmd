$SCOPEC test bad.scope missing.scope ok.scope
