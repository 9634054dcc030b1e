/*
 * suggest.h — `scopec suggest LOG`: the tightest scope for each task seen
 * in a decision log (declog.h), as a .scope policy on stdout, with the
 * requests it covers as `expect` lines.  The rules are in suggest.c and in
 * sc_suggest_usage.
 */
#ifndef SC_SUGGEST_H
#define SC_SUGGEST_H

extern const char sc_suggest_usage[];

/* argv[0] is the command name.  Exit status: 0, 1 if the log held no
 * request to learn from, 2 usage or I/O. */
int sc_cmd_suggest(int argc, char **argv);

#endif
