/* explain.c — see explain.h. */
#include "explain.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

void sc_item_text(sc_diag *d, const sc_item *it, char *buf, size_t bufsz)
{
	sc_str src = sc_span_text(d, it->span);
	size_t o = (size_t)snprintf(buf, bufsz, "%s ", sc_clause_names[it->kind]);
	bool blank = false;
	for (size_t i = 0; i < src.n && o + 4 < bufsz; i++) {
		unsigned char c = (unsigned char)src.s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			blank = true;
			continue;
		}
		if (blank)
			buf[o++] = ' ';
		blank = false;
		buf[o++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
	}
	if (o + 4 >= bufsz && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 3), o = bufsz - 1;
	if (o < bufsz)
		buf[o] = '\0';
}

/* The first test of C (in source order) that is unknown for RQ. */
static const sc_cond *first_unknown(sc_ref_ctx *ctx, const sc_cond *c, const sc_request *rq)
{
	if (c->op == SC_C_AND || c->op == SC_C_OR || c->op == SC_C_NOT) {
		for (uint32_t i = 0; i < c->nkids; i++) {
			const sc_cond *k = first_unknown(ctx, c->kids[i], rq);
			if (k)
				return k;
		}
		return NULL;
	}
	return sc_ref_cond(ctx, c, rq) == SC_UNKNOWN ? c : NULL;
}

/* " (condition unknown because ...)" for the deciding item. */
static void unknown_reason(const sc_item *it, const sc_request *rq, char *buf, size_t bufsz)
{
	sc_ref_ctx *ctx = sc_ref_new();
	const sc_cond *t = first_unknown(ctx, it->cond, rq);
	sc_ref_free(ctx);
	char q[128];
	bool present = false;
	if (t) {
		sc_quote(q, sizeof q, t->key);
		for (size_t i = 0; i < rq->nattrs; i++)
			present |= sc_str_eq(rq->attrs[i].key, t->key);
	}
	if (!t)
		snprintf(buf, bufsz, " (condition unknown)");
	else if (!present)
		snprintf(buf, bufsz, " (condition unknown because attribute '%s' is missing)", q);
	else if (t->op == SC_C_MATCHES)
		snprintf(buf, bufsz, " (condition unknown because the regex on '%s' hit its match limit)", q);
	else
		snprintf(buf, bufsz, " (condition unknown because attribute '%s' is not a number)", q);
}

void sc_explain(sc_diag *d, const sc_result *res, const sc_request *rq, char *buf, size_t bufsz)
{
	char q[128];
	switch (res->why) {
	case SC_WHY_NO_TASK:
		sc_quote(q, sizeof q, rq->task);
		snprintf(buf, bufsz, "undeclared task '%s'", q);
		return;
	case SC_WHY_DEFAULT:
		snprintf(buf, bufsz, "no item allows this (default deny)");
		return;
	case SC_WHY_ITEM:
		break;
	}
	char where[PATH_MAX + 32], text[256], via[PATH_MAX + 64] = "", unk[200] = "";
	sc_diag_where(d, res->item->span, where, sizeof where);
	sc_item_text(d, res->item, text, sizeof text);
	if (res->item->via.file) {
		char w2[PATH_MAX + 32];
		sc_diag_where(d, res->item->via, w2, sizeof w2);
		sc_str ref = sc_span_text(d, res->item->via);
		size_t n = 0;
		while (n < ref.n && ref.s[n] != ' ' && ref.s[n] != '\t' && ref.s[n] != '\n')
			n++;
		snprintf(via, sizeof via, " (via %.*s at %s)", (int)(n > 64 ? 64 : n), ref.s, w2);
	}
	if (res->unknown)
		unknown_reason(res->item, rq, unk, sizeof unk);
	snprintf(buf, bufsz, "%s: %s%s%s", where, text, via, unk);
}

static bool needs_quotes(sc_str s, bool is_value)
{
	if (s.n == 0)
		return !is_value;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.s[i];
		if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c == 0x7f)
			return true;
	}
	return false;
}

static size_t put_token(char *buf, size_t bufsz, size_t o, sc_str s, bool is_value)
{
	bool q = needs_quotes(s, is_value);
	if (q && o + 1 < bufsz)
		buf[o++] = '"';
	for (size_t i = 0; i < s.n && o + 3 < bufsz; i++) {
		if (q && (s.s[i] == '"' || s.s[i] == '\\'))
			buf[o++] = '\\';
		buf[o++] = s.s[i];
	}
	if (q && o + 1 < bufsz)
		buf[o++] = '"';
	buf[o < bufsz ? o : bufsz - 1] = '\0';
	return o;
}

void sc_request_format(const sc_request *rq, char *buf, size_t bufsz)
{
	size_t o = 0;
	if (!bufsz)
		return;
	buf[0] = '\0';
	o = put_token(buf, bufsz, o, rq->task, false);
	if (o + 1 < bufsz)
		buf[o++] = ' ';
	o = put_token(buf, bufsz, o, rq->action, false);
	if (rq->resource.n || rq->nattrs) {
		if (o + 1 < bufsz)
			buf[o++] = ' ';
		o = put_token(buf, bufsz, o, rq->resource, false);
	}
	for (size_t i = 0; i < rq->nattrs && o + 2 < bufsz; i++) {
		buf[o++] = ' ';
		o = put_token(buf, bufsz, o, rq->attrs[i].key, false);
		if (o + 1 < bufsz)
			buf[o++] = '=';
		o = put_token(buf, bufsz, o, rq->attrs[i].value, true);
	}
	buf[o < bufsz ? o : bufsz - 1] = '\0';
}
