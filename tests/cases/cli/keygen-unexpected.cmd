$SCOPEC keygen --out k extra
