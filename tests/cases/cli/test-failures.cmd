$SCOPEC test ok.scope fails.scope
