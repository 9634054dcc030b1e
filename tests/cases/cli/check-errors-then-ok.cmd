$SCOPEC check --format=text bad.scope ok.scope
