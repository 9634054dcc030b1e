$SCOPEC diff --format=json witness-old.scope witness-new.scope
