$SCOPEC verify ok.scope --key keys/a.pub.pem; $SCOPEC verify missing.img --key keys/a.pub.pem
