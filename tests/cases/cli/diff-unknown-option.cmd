$SCOPEC diff --stat ok.scope ok.scope
