$SCOPEC eval --help
