$SCOPEC check --werror ok.scope warn.scope
