printf "\211SCOPE\r\ngarbage" >"$TMP/bad.img" && $SCOPEC eval "$TMP/bad.img"
