$SCOPEC eval missing.scope
