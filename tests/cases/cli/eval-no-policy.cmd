$SCOPEC eval --json
