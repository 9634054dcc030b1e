$SCOPEC hook claude-code missing.scope --task coder <events/read.json; $SCOPEC hook claude-code . --task coder <events/read.json
