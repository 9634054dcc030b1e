$SCOPEC fmt --check ok.scope ugly.scope bad.scope
