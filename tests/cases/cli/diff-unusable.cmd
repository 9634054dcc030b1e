$SCOPEC diff bad.scope missing.scope
