/*
 * declog.h — reading a decision log (JSON Lines, as scope-gateway writes
 * it; examples/gateway/README.md has the format) for `scopec suggest` and
 * `scopec shadow-report`.
 *
 * The records used here:
 *   {"type":"decision", "task","action","resource","attributes":{...},
 *    "decision":"allow|ask|deny", "explain", "policy", ...}
 *   {"type":"shadow", "task","action","resource","attributes",
 *    "enforced":{"decision","explain","policy",...}, "candidate":{...}}
 * A record without "type" that has task/action/decision counts as a
 * decision (logs from other producers).  Other types (start, reload,
 * error, stop) are counted and skipped.
 */
#ifndef SC_DECLOG_H
#define SC_DECLOG_H

#include "refeval.h"

typedef struct sc_logrec {
	size_t line;            /* 1-based line of the log */
	bool shadow;            /* a "shadow" record (else "decision") */
	sc_request rq;          /* strings valid during the callback only */
	sc_kind decision;       /* shadow: the enforced decision */
	sc_kind candidate;      /* shadow only */
	const char *explain;    /* "" when absent; shadow: the enforced side */
	const char *cexplain;   /* shadow only */
	const char *policy;     /* digest, "" when absent; shadow: enforced */
	const char *cpolicy;    /* shadow only */
} sc_logrec;

typedef struct sc_logstats {
	size_t lines;           /* non-blank lines */
	size_t decisions;       /* decision records of well-formed requests */
	size_t shadows;
	size_t errors;          /* decision records of malformed requests */
	size_t other;           /* start, reload, error, stop, unknown types */
	size_t bad;             /* lines that are not a valid record */
} sc_logstats;

typedef void (*sc_logrec_fn)(void *arg, const sc_logrec *r);

/* Reads the log PATH ("-" is stdin) and calls FN for every valid decision
 * and shadow record, in order.  Invalid lines are counted in st->bad and
 * the first few reported on stderr as "PATH:LINE: warning: ...".  Returns
 * 0, or -1 if PATH cannot be read (message printed, prefixed with CMD). */
int sc_declog_read(const char *cmd, const char *path, sc_logrec_fn fn, void *arg, sc_logstats *st);

/* "allow"/"ask"/"deny" -> SC_ALLOW..; -1 otherwise. */
int sc_decision_parse(const char *s);

#endif
