$SCOPEC hook claude-code hook.scope --task coder <.
