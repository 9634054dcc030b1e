$SCOPEC hook claude-code -h
