$SCOPEC check --werror
