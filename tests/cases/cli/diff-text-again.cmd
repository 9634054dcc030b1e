$SCOPEC diff --format=json --format=text ok.scope /dev/null
