k=keys/a.pub.pem; $SCOPEC verify ok.img --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k --key $k
