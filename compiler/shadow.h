/*
 * shadow.h — `scopec shadow-report LOG`: what a shadow candidate would have
 * changed, from the "shadow" records of a decision log (declog.h).
 */
#ifndef SC_SHADOW_H
#define SC_SHADOW_H

extern const char sc_shadow_report_usage[];

/* argv[0] is the command name.  Exit status: 0 no disagreement, 1 some
 * (like `scopec diff`), 2 usage or I/O. */
int sc_cmd_shadow_report(int argc, char **argv);

#endif
