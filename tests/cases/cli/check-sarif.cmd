$SCOPEC check --format=sarif warn.scope
