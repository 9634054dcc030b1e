/* diag.c — see diag.h. */
#include "diag.h"
#include "arena.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void sc_diag_init(sc_diag *d, FILE *out)
{
	memset(d, 0, sizeof *d);
	d->out = out ? out : stderr;
	d->max_errors = 50;
	d->capsrc = 4;
	d->src = calloc(d->capsrc, sizeof *d->src);
	if (!d->src)
		sc_fatal_oom();
	d->nsrc = 1; /* file 0 is "no location" */
}

void sc_diag_fini(sc_diag *d)
{
	for (uint32_t i = 0; i < d->nsrc; i++) {
		free(d->src[i].path);
		free(d->src[i].real);
		free(d->src[i].text);
		free(d->src[i].lines);
	}
	free(d->src);
	for (size_t i = 0; i < d->nrec; i++) {
		free(d->rec[i].msg);
		free(d->rec[i].fix);
	}
	free(d->rec);
	memset(d, 0, sizeof *d);
}

static uint32_t add_source(sc_diag *d, const char *path, char *text, size_t len)
{
	if (d->nsrc == d->capsrc) {
		sc_source *s = realloc(d->src, 2 * d->capsrc * sizeof *s);
		if (!s)
			sc_fatal_oom();
		d->src = s;
		d->capsrc *= 2;
	}
	sc_source *s = &d->src[d->nsrc];
	memset(s, 0, sizeof *s);
	s->path = strdup(path);
	if (!s->path)
		sc_fatal_oom();
	s->text = text;
	s->len = len;
	return d->nsrc++;
}

uint32_t sc_diag_add(sc_diag *d, const char *path, const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		sc_fatal_oom();
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	return add_source(d, path, copy, len);
}

uint32_t sc_diag_load(sc_diag *d, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	/* A FIFO or device could block or never end: policies are files. */
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		errno = EINVAL;
		return 0;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		sc_fatal_oom();
	for (;;) {
		if (len == cap) {
			if (cap >= SC_MAX_SOURCE) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return 0;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				sc_fatal_oom();
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				int e = errno;
				free(buf);
				fclose(f);
				errno = e ? e : EIO;
				return 0;
			}
			break;
		}
	}
	fclose(f);
	buf[len] = '\0';
	uint32_t id = add_source(d, path, buf, len);
	char *real = realpath(path, NULL);
	d->src[id].real = real ? real : strdup(path);
	if (!d->src[id].real)
		sc_fatal_oom();
	return id;
}

const char *sc_diag_load_strerror(int e)
{
	return e == EINVAL ? "not a regular file" : strerror(e);
}

const sc_source *sc_diag_source(const sc_diag *d, uint32_t file)
{
	return file && file < d->nsrc ? &d->src[file] : NULL;
}

sc_str sc_span_text(const sc_diag *d, sc_span sp)
{
	const sc_source *s = sc_diag_source(d, sp.file);
	sc_str r = { "", 0 };
	if (s && sp.off <= s->len && sp.len <= s->len - sp.off) {
		r.s = s->text + sp.off;
		r.n = sp.len;
	}
	return r;
}

static void build_lines(sc_source *s)
{
	size_t n = 1;
	for (size_t i = 0; i < s->len; i++)
		n += s->text[i] == '\n';
	s->lines = malloc(n * sizeof *s->lines);
	if (!s->lines)
		sc_fatal_oom();
	s->nlines = 0;
	s->lines[s->nlines++] = 0;
	for (size_t i = 0; i < s->len; i++)
		if (s->text[i] == '\n')
			s->lines[s->nlines++] = (uint32_t)(i + 1);
}

/* Index of the line containing byte OFF (binary search over line starts). */
static size_t line_of(sc_source *s, uint32_t off)
{
	if (!s->lines)
		build_lines(s);
	size_t lo = 0, hi = s->nlines;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void sc_diag_linecol(sc_diag *d, sc_span sp, unsigned *line, unsigned *col)
{
	*line = *col = 0;
	if (!sp.file || sp.file >= d->nsrc)
		return;
	sc_source *s = &d->src[sp.file];
	uint32_t off = sp.off > s->len ? (uint32_t)s->len : sp.off;
	size_t l = line_of(s, off);
	*line = (unsigned)(l + 1);
	*col = (unsigned)(off - s->lines[l] + 1);
}

void sc_diag_where(sc_diag *d, sc_span sp, char *buf, size_t bufsz)
{
	unsigned line, col;
	if (!sp.file || sp.file >= d->nsrc) {
		snprintf(buf, bufsz, "<unknown>");
		return;
	}
	sc_diag_linecol(d, sp, &line, &col);
	snprintf(buf, bufsz, "%s:%u:%u", d->src[sp.file].path, line, col);
}

/* Display at most this many bytes of a source line around the caret. */
#define SC_LINE_WINDOW 120

static void put_display_byte(FILE *f, unsigned char c)
{
	fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, f);
}

/* Prints the source line of SP and a caret line under it.  Tabs are kept in
 * the caret line and UTF-8 continuation bytes take no column, so the caret
 * lines up in a terminal.  Very long lines are shown as a window. */
static void show_line(sc_diag *d, sc_span sp)
{
	sc_source *s = &d->src[sp.file];
	uint32_t off = sp.off > s->len ? (uint32_t)s->len : sp.off;
	size_t l = line_of(s, off);
	size_t start = s->lines[l], end = start;
	while (end < s->len && s->text[end] != '\n')
		end++;
	if (end > start && s->text[end - 1] == '\r')
		end--;
	size_t from = start, to = end;
	if (off - start > SC_LINE_WINDOW / 2)
		from = off - SC_LINE_WINDOW / 2;
	if (to - from > SC_LINE_WINDOW)
		to = from + SC_LINE_WINDOW;
	FILE *f = d->out;
	fputs("    ", f);
	if (from > start)
		fputs("...", f);
	for (size_t i = from; i < to; i++)
		put_display_byte(f, (unsigned char)s->text[i]);
	if (to < end)
		fputs("...", f);
	fputs("\n    ", f);
	if (from > start)
		fputs("   ", f);
	for (size_t i = from; i < off && i < to; i++) {
		unsigned char c = (unsigned char)s->text[i];
		if ((c & 0xC0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', f);
	}
	fputc('^', f);
	size_t span_end = (size_t)off + sp.len;
	if (span_end > end)
		span_end = end;
	for (size_t i = off + 1; i < span_end && i < to; i++)
		if (((unsigned char)s->text[i] & 0xC0) != 0x80)
			fputc('~', f);
	fputc('\n', f);
}

static void keep_record(sc_diag *d, sc_severity sev, const char *rule, sc_span sp, const char *fmt,
			va_list ap)
{
	if (d->nrec == d->caprec) {
		size_t cap = d->caprec ? 2 * d->caprec : 16;
		sc_diag_record *r = realloc(d->rec, cap * sizeof *r);
		if (!r)
			sc_fatal_oom();
		d->rec = r;
		d->caprec = cap;
	}
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		sc_fatal_oom();
	d->rec[d->nrec++] = (sc_diag_record){ sev, rule, sp, msg, SC_NOWHERE, NULL };
}

static void print_fixit(sc_diag *d, sc_span sp, const char *text);

/* Prints one diagnostic: the FILE:LINE:COL line, the source line and the
 * caret line. */
static void print_diag(sc_diag *d, sc_severity sev, const char *rule, sc_span sp, const char *msg)
{
	static const char *const names[] = { "error", "warning", "note" };
	char where[PATH_MAX + 32];
	sc_diag_where(d, sp, where, sizeof where);
	if (sp.file)
		fprintf(d->out, "%s: %s: ", where, names[sev]);
	else
		fprintf(d->out, "scopec: %s: ", names[sev]);
	fputs(msg, d->out);
	if (rule)
		fprintf(d->out, " [%s]", rule);
	fputc('\n', d->out);
	if (sp.file)
		show_line(d, sp);
}

static void too_many(sc_diag *d)
{
	fprintf(d->out, "scopec: too many errors, stopping here\n");
}

void sc_diag_report(sc_diag *d, sc_severity sev, const char *rule, sc_span sp, const char *fmt, ...)
{
	if (sev != SC_SEV_NOTE)
		d->last_shown = false;
	if (sev == SC_SEV_ERROR) {
		d->errors++;
		if (d->errors == d->max_errors + 1 && !d->collect && !d->defer)
			too_many(d);
		if (d->errors > d->max_errors)
			return;
	} else if (sev == SC_SEV_WARNING) {
		d->warnings++;
	} else if (d->errors > d->max_errors) {
		return;
	}
	if (sev != SC_SEV_NOTE) {
		d->last_shown = true;
		d->last_span = sp;
	}
	va_list ap;
	va_start(ap, fmt);
	if (d->collect || d->defer) {
		keep_record(d, sev, rule, sp, fmt, ap);
		va_end(ap);
		return;
	}
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		sc_fatal_oom();
	va_end(ap);
	print_diag(d, sev, rule, sp, msg);
	free(msg);
}

void sc_diag_defer(sc_diag *d)
{
	if (d->defer)
		return;
	d->defer = true;
	d->defer_from = d->nrec;
}

/* Records of one diagnostic and its notes, for sorting. */
typedef struct group {
	size_t first, n;
} group;

static const sc_diag *sort_diag; /* qsort has no context argument */

static int group_cmp(const void *pa, const void *pb)
{
	const group *a = pa, *b = pb;
	const sc_diag_record *x = &sort_diag->rec[a->first], *y = &sort_diag->rec[b->first];
	/* errors in place order; everything else keeps its order, after them */
	bool ex = x->sev == SC_SEV_ERROR, ey = y->sev == SC_SEV_ERROR;
	if (ex != ey)
		return ex ? -1 : 1;
	if (ex && x->span.file != y->span.file)
		return x->span.file < y->span.file ? -1 : 1;
	if (ex && x->span.off != y->span.off)
		return x->span.off < y->span.off ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* Sorts the records from FROM on: each error with its notes, by file (in
 * load order) and offset; the order of detection breaks ties. */
static void sort_records(sc_diag *d, size_t from)
{
	size_t n = d->nrec - from;
	if (n < 2)
		return;
	group *g = sc_xcalloc(n, sizeof *g);
	size_t ng = 0;
	for (size_t i = from; i < d->nrec; i++) {
		if (d->rec[i].sev != SC_SEV_NOTE || ng == 0)
			g[ng++] = (group){ i, 0 };
		g[ng - 1].n++;
	}
	sort_diag = d;
	qsort(g, ng, sizeof *g, group_cmp);
	sc_diag_record *out = sc_xcalloc(n, sizeof *out);
	size_t o = 0;
	for (size_t i = 0; i < ng; i++)
		for (size_t k = 0; k < g[i].n; k++)
			out[o++] = d->rec[g[i].first + k];
	memcpy(d->rec + from, out, n * sizeof *out);
	free(out);
	free(g);
}

void sc_diag_flush(sc_diag *d)
{
	if (!d->defer)
		return;
	d->defer = false;
	size_t from = d->defer_from;
	sort_records(d, from);
	if (d->collect)
		return;
	for (size_t i = from; i < d->nrec; i++) {
		sc_diag_record *r = &d->rec[i];
		print_diag(d, r->sev, r->rule, r->span, r->msg);
		if (r->sev != SC_SEV_NOTE)
			d->last_span = r->span;
		if (r->fix)
			print_fixit(d, r->fix_span, r->fix);
		free(r->msg);
		free(r->fix);
	}
	d->nrec = from;
	if (d->errors > d->max_errors)
		too_many(d);
}

/* The fix-it line under a caret line: TEXT starting in the column of SP.
 * Only when SP starts on the line shown for the diagnostic, near enough
 * to its start that show_line printed no window, and TEXT is one line. */
static bool put_aligned_fixit(sc_diag *d, sc_span sp, const char *text)
{
	sc_source *s = &d->src[sp.file];
	if (sp.file != d->last_span.file || sp.off > s->len || strchr(text, '\n'))
		return false;
	uint32_t shown = d->last_span.off > s->len ? (uint32_t)s->len : d->last_span.off;
	size_t l = line_of(s, sp.off), start = s->lines[l];
	if (l != line_of(s, shown) || sp.off - start > SC_LINE_WINDOW / 2 || shown - start > SC_LINE_WINDOW / 2)
		return false;
	fputs("    ", d->out);
	for (size_t i = start; i < sp.off; i++) {
		unsigned char c = (unsigned char)s->text[i];
		if ((c & 0xC0) != 0x80)
			fputc(c == '\t' ? '\t' : ' ', d->out);
	}
	fputs(text, d->out);
	fputc('\n', d->out);
	return true;
}

static void print_fixit(sc_diag *d, sc_span sp, const char *text)
{
	if (!put_aligned_fixit(d, sp, text)) {
		fputs("    fix-it: ", d->out);
		fputs(text, d->out);
		fputc('\n', d->out);
	}
}

void sc_fixit(sc_diag *d, sc_span sp, const char *text)
{
	if (!d->last_shown || !sp.file || sp.file >= d->nsrc)
		return;
	if (d->collect || d->defer) {
		sc_diag_record *r = &d->rec[d->nrec - 1];
		while (r > d->rec && r->sev == SC_SEV_NOTE)
			r--;
		free(r->fix);
		r->fix = strdup(text);
		if (!r->fix)
			sc_fatal_oom();
		r->fix_span = sp;
		return;
	}
	print_fixit(d, sp, text);
}

void sc_quote(char *buf, size_t bufsz, sc_str s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (bufsz < 8) {
		if (bufsz)
			buf[0] = '\0';
		return;
	}
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.s[i];
		char tmp[5];
		size_t k = 0;
		if (c == '\'' || c == '\\') {
			tmp[k++] = '\\';
			tmp[k++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[k++] = (char)c;
		} else if (c >= 0x80) {
			tmp[k++] = (char)c; /* UTF-8 text passes through */
		} else {
			tmp[k++] = '\\';
			tmp[k++] = 'x';
			tmp[k++] = hex[c >> 4];
			tmp[k++] = hex[c & 15];
		}
		if (o + k + 4 > bufsz) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, k);
		o += k;
	}
	buf[o] = '\0';
}

void sc_fput_quoted(FILE *f, sc_str s)
{
	char buf[256];
	sc_quote(buf, sizeof buf, s);
	fputs(buf, f);
}

int sc_str_cmp(sc_str a, sc_str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = n ? memcmp(a.s, b.s, n) : 0;
	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

bool sc_str_eq(sc_str a, sc_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.s, b.s, a.n) == 0);
}

unsigned sc_edit_distance(sc_str a, sc_str b, unsigned limit)
{
	if (a.n > 64 || b.n > 64 || (a.n > b.n ? a.n - b.n : b.n - a.n) > limit)
		return limit + 1;
	unsigned row[65]; /* row[j]: distance of a[0..i) and b[0..j) */
	for (size_t j = 0; j <= b.n; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= a.n; i++) {
		unsigned diag = row[0], best = ++row[0];
		for (size_t j = 1; j <= b.n; j++) {
			unsigned up = row[j];
			unsigned v = diag + (a.s[i - 1] != b.s[j - 1]);
			v = v < up + 1 ? v : up + 1;
			v = v < row[j - 1] + 1 ? v : row[j - 1] + 1;
			row[j] = v;
			diag = up;
			best = v < best ? v : best;
		}
		if (best > limit)
			return limit + 1;
	}
	return row[b.n] > limit ? limit + 1 : row[b.n];
}
