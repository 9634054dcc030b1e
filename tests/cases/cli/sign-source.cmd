$SCOPEC sign ok.scope --key keys/a.pem
