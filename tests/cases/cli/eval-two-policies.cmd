$SCOPEC eval ok.scope warn.scope
