mkdir "$TMP/bin" && for m in after-probe after-verify; do cp fakegit/git "$TMP/bin/git" && PATH="$TMP/bin" FAKEGIT=$m $SCOPEC diff HEAD:x.scope ok.scope 2>&1; echo "exit $?"; done
