$SCOPEC hook claude-code hook.scope --task coder --trusted-key keys/garbage.pem <events/read.json; $SCOPEC hook claude-code hook.scope --task coder --trusted-key keys/a.pub.pem <events/read.json
