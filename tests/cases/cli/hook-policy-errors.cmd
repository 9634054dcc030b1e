$SCOPEC hook claude-code bad.scope --task coder <events/read.json
