$SCOPEC keygen --out=; $SCOPEC keygen --out
