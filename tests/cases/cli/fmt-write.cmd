cp ugly.scope "$TMP/" && chmod 640 "$TMP/ugly.scope" && $SCOPEC fmt -w "$TMP/ugly.scope" ok.scope && cat "$TMP/ugly.scope" && stat -c %a "$TMP/ugly.scope" && ls "$TMP"
