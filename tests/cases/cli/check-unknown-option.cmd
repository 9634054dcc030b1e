$SCOPEC check --pedantic ok.scope
