$SCOPEC sign; $SCOPEC sign ok.img; $SCOPEC sign ok.img --key; $SCOPEC sign ok.img --key k -o; $SCOPEC sign a.img b.img; $SCOPEC sign --force a.img
