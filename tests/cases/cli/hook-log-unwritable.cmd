$SCOPEC hook claude-code hook.scope --task coder --log "$TMP/no/dir/log" <events/read.json
