for e in read bash-redirect; do $SCOPEC hook claude-code hook.scope --task coder --log "$TMP/log" <events/$e.json >/dev/null || exit; done; wc -l <"$TMP/log"
