$SCOPEC sign missing.img --key keys/a.pem; $SCOPEC sign . --key keys/a.pem
