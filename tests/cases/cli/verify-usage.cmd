$SCOPEC verify; $SCOPEC verify ok.img; $SCOPEC verify ok.img --key; $SCOPEC verify a.img b.img; $SCOPEC verify -x a.img
