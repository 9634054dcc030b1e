echo "triage read forum.a" | $SCOPEC eval bad.scope
