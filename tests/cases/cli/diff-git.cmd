sh gitrepo.sh "$TMP/repo" && cd "$TMP/repo/sub" && $SCOPEC diff HEAD:x.scope ../x.scope; echo "exit $?"; $SCOPEC diff HEAD:./y.scope HEAD:../x.scope; echo "exit $?"; $SCOPEC diff HEAD:y.scope y.scope
