$SCOPEC check --format=json warn.scope bad.scope
