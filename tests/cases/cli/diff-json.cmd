$SCOPEC diff --format=json --max-states=100000 /dev/null ok.scope
