$SCOPEC diff witness-old.scope witness-new.scope
