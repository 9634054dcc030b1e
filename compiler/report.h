/*
 * report.h — diagnostics as data for tools: `scopec check --format=json`
 * (one JSON array) and `--format=sarif` (SARIF 2.1.0, which code hosts turn
 * into pull-request annotations).  Notes become related locations of the
 * diagnostic they follow.
 */
#ifndef SC_REPORT_H
#define SC_REPORT_H

#include "diag.h"

#include <stdio.h>

void sc_report_json(sc_diag *d, FILE *out);
/* Writes a JSON document (json_t *, consumed), indented, with a newline. */
void sc_report_document(void *value, FILE *out);
void sc_report_sarif(sc_diag *d, FILE *out);

#endif
