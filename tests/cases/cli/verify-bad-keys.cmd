for k in keys/missing.pem /dev/null keys keys/garbage.pem keys/a.pem; do $SCOPEC verify ok.img --key $k; echo "exit $?"; done
