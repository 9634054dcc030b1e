/* load.c — loading, inspecting and freeing policies; error strings. */
#include "image.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const error_text[] = {
	[0] = "success",
#define SCOPE_X(name, num, text) [num] = text,
	SCOPE_ERRORS(SCOPE_X)
#undef SCOPE_X
};

const char *scope_strerror(int err)
{
	if (err > 0 || -(long)err >= (long)(sizeof error_text / sizeof error_text[0]) ||
	    !error_text[-err])
		return "unknown error";
	return error_text[-err];
}

bool scope_is_bytecode(const void *data, size_t len)
{
	return data && len >= SCOPE_BC_MAGIC_LEN && memcmp(data, SCOPE_BC_MAGIC, SCOPE_BC_MAGIC_LEN) == 0;
}

void scope_policy_destroy(scope_policy *p)
{
	if (!p)
		return;
	if (p->regex)
		for (uint32_t i = 0; i < SC_NREGEX(p); i++)
			pcre2_code_free(p->regex[i]);
	free(p->regex);
	free(p->task_slots);
	free(p->img);
	free(p);
}

static int load_common(scope_policy **out, const void *image, size_t len, bool regexes,
		       const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (!out)
		return -SCOPE_EINVAL;
	*out = NULL;
	if (!image && len)
		return -SCOPE_EINVAL;
	if (!scope_is_bytecode(image, len))
		return *why = "bad magic", -SCOPE_EFORMAT;
	/* a signed image loads as its image: the signature is checked by
	 * scope_policy_load_signed() (libscope-enforce), not here */
	scope_bc_layout layout = scope_bc_layout_of(image, len, &len);
	if (layout == SCOPE_BC_BADSIG)
		return *why = "malformed signature trailer", -SCOPE_ELENGTH;
	if (len < SCOPE_BC_HEADER || len > SCOPE_BC_MAX_IMAGE)
		return *why = "image length", -SCOPE_ELENGTH;
	scope_policy *p = calloc(1, sizeof *p);
	if (!p)
		return -SCOPE_ENOMEM;
	/* SCOPE_IMG_PAD zero bytes after the image: the walk reads state
	 * records a word at a time (decide.c) */
	size_t alloc = ((len + 7) & ~(size_t)7) + SCOPE_IMG_PAD;
	p->img = malloc(alloc);
	if (!p->img) {
		free(p);
		return -SCOPE_ENOMEM;
	}
	memcpy(p->img, image, len);
	memset((char *)p->img + len, 0, alloc - len);
	p->len = len;
	int rc = scope_verify_image(p, why);
	if (rc == 0)
		rc = scope_task_index_build(p);
	if (rc == 0 && regexes) {
		uint32_t n = SC_NREGEX(p);
		p->regex = calloc(n ? n : 1, sizeof *p->regex);
		if (!p->regex)
			rc = -SCOPE_ENOMEM;
		for (uint32_t i = 0; rc == 0 && i < n; i++) {
			const uint32_t *r = SC_REGEXES(p) + 2 * (size_t)i;
			uint32_t plen;
			const char *pat = scope_str(p, r[0], &plen);
			uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED | (r[1] & 1 ? PCRE2_CASELESS : 0);
			int err;
			PCRE2_SIZE off;
			pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, plen, opts, &err, &off, NULL);
			if (!code) {
				/* the verifier accepted the image, so a failure for want of
				 * memory is not a bad regex: the caller must not refuse a
				 * good policy as corrupt */
				bool oom = err == PCRE2_ERROR_HEAP_FAILED || err == PCRE2_ERROR_NOMEMORY;
				rc = oom ? -SCOPE_ENOMEM : -SCOPE_EREGEX;
				*why = oom ? "out of memory compiling a regex" : "regex does not compile";
				break;
			}
			(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* interpreter if no JIT */
			p->regex[i] = code;
		}
	}
	if (rc < 0) {
		scope_policy_destroy(p);
		return rc;
	}
	*out = p;
	return 0;
}

int scope_policy_load(scope_policy **out, const void *image, size_t len)
{
	return load_common(out, image, len, true, NULL);
}

int scope_policy_load_unverified_regex(scope_policy **out, const void *image, size_t len,
				       const char **why)
{
	return load_common(out, image, len, false, why);
}

int scope_image_read_file(const char *path, void **out, size_t *outlen)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) /* fopen allocates its FILE: ENOMEM is not an unreadable file */
		return errno == ENOMEM ? -SCOPE_ENOMEM : -SCOPE_EIO;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= SCOPE_BC_MAX_IMAGE + (size_t)SCOPE_SIG_TRAILER) {
				rc = -SCOPE_ELENGTH;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			if (!nb) {
				rc = -SCOPE_ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				rc = -SCOPE_EIO;
			break;
		}
	}
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int scope_policy_load_file(scope_policy **out, const char *path)
{
	if (!out || !path)
		return -SCOPE_EINVAL;
	*out = NULL;
	void *buf = NULL;
	size_t len = 0;
	int rc = scope_image_read_file(path, &buf, &len);
	if (rc == 0)
		rc = scope_policy_load(out, buf, len);
	free(buf); /* NULL when reading failed */
	return rc;
}

uint32_t scope_policy_item_count(const scope_policy *p)
{
	return p ? SC_NITEMS(p) : 0;
}

uint32_t scope_policy_task_count(const scope_policy *p)
{
	return p ? SC_NTASKS(p) : 0;
}

size_t scope_policy_image_size(const scope_policy *p)
{
	return p ? p->len : 0;
}

int scope_policy_item(const scope_policy *p, uint32_t item, scope_item_info *out)
{
	if (!p || !out)
		return -SCOPE_EINVAL;
	if (item >= SC_NITEMS(p))
		return -SCOPE_ERANGE;
	uint32_t w = SC_ITEMS(p)[item], len;
	*out = (scope_item_info){ (scope_decision)(w >> 30), (w & SCOPE_BC_NO_COND) != SCOPE_BC_NO_COND,
				  false, "", 0, 0, "" };
	if (p->flags & SCOPE_BC_F_DEBUG) {
		const uint32_t *d = p->sec[SCOPE_SEC_DEBUG_ITEMS].w + (size_t)item * SCOPE_BC_DEBUG_ITEM_WORDS;
		out->has_location = true;
		out->file = scope_str(p, p->sec[SCOPE_SEC_DEBUG_FILES].w[d[0]], &len);
		out->line = d[1];
		out->col = d[2];
		out->text = scope_str(p, d[3], &len);
	}
	return 0;
}

int scope_explain(const scope_policy *p, const scope_result *r, char *buf, size_t *len)
{
	if (!r || !buf || !len || !*len)
		return -SCOPE_EINVAL;
	int n;
	scope_item_info info;
	switch (r->why) {
	case SCOPE_WHY_ITEM:
		if (scope_policy_item(p, r->item, &info) < 0) {
			n = snprintf(buf, *len, "item %u (not in this policy)", (unsigned)r->item);
		} else if (info.has_location) {
			n = snprintf(buf, *len, "%s:%u:%u: %s%s", info.file, (unsigned)info.line,
				     (unsigned)info.col, info.text,
				     r->unknown ? " (condition unknown)" : "");
		} else {
			n = snprintf(buf, *len, "item %u (stripped)%s", (unsigned)r->item,
				     r->unknown ? " (condition unknown)" : "");
		}
		break;
	case SCOPE_WHY_DEFAULT:
		n = snprintf(buf, *len, "no item allows this (default deny)");
		break;
	case SCOPE_WHY_NO_TASK:
		n = snprintf(buf, *len, "undeclared task");
		break;
	default:
		n = snprintf(buf, *len, "error (fail closed: deny)");
		break;
	}
	if (n < 0)
		return -SCOPE_EINVAL;
	if ((size_t)n >= *len) {
		*len = *len - 1;
		return -SCOPE_ENOSPC;
	}
	*len = (size_t)n;
	return 0;
}
