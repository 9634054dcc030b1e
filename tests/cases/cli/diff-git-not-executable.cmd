mkdir "$TMP/bin" && touch "$TMP/bin/git" && PATH="$TMP/bin" $SCOPEC diff HEAD:x.scope ok.scope
