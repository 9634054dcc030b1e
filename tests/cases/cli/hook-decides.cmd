$SCOPEC hook claude-code hook.scope --task coder <events/read.json && $SCOPEC hook claude-code hook.scope --task coder <events/bash-redirect.json
