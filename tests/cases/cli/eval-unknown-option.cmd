$SCOPEC eval --trace ok.scope
