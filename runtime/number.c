/* number.c — see number.h. */
#include "number.h"

bool sc_number_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	size_t digits = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == digits)
		return false;
	if (i < n && s[i] == '.') {
		size_t frac = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == frac)
			return false;
	}
	return i == n;
}

/* A number split into sign, integer digits without leading zeros, and
 * fraction digits without trailing zeros. */
typedef struct {
	int neg;
	const char *ip, *fp;
	size_t in, fn;
} sc_decimal;

static void split(const char *s, size_t n, sc_decimal *d)
{
	size_t i = 0;
	d->neg = 0;
	if (s[0] == '+' || s[0] == '-') {
		d->neg = s[0] == '-';
		i++;
	}
	while (i < n && s[i] == '0')
		i++;
	d->ip = s + i;
	while (i < n && s[i] != '.')
		i++;
	d->in = (size_t)(s + i - d->ip);
	d->fp = s + i;
	d->fn = 0;
	if (i < n) {
		d->fp = s + i + 1;
		d->fn = n - i - 1;
		while (d->fn && d->fp[d->fn - 1] == '0')
			d->fn--;
	}
	if (d->in == 0 && d->fn == 0)
		d->neg = 0; /* -0 is 0 */
}

/* Compares magnitudes. */
static int cmp_abs(const sc_decimal *a, const sc_decimal *b)
{
	if (a->in != b->in)
		return a->in < b->in ? -1 : 1;
	for (size_t i = 0; i < a->in; i++)
		if (a->ip[i] != b->ip[i])
			return a->ip[i] < b->ip[i] ? -1 : 1;
	size_t n = a->fn < b->fn ? a->fn : b->fn;
	for (size_t i = 0; i < n; i++)
		if (a->fp[i] != b->fp[i])
			return a->fp[i] < b->fp[i] ? -1 : 1;
	return a->fn < b->fn ? -1 : a->fn > b->fn;
}

int sc_number_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	if (!sc_number_valid(a, an) || !sc_number_valid(b, bn))
		return 2;
	sc_decimal x, y;
	split(a, an, &x);
	split(b, bn, &y);
	if (x.neg != y.neg)
		return x.neg ? -1 : 1;
	int c = cmp_abs(&x, &y);
	return x.neg ? -c : c;
}
