/*
 * sig.c — signed policies: Ed25519 key files and the signature check of
 * scope_policy_load_signed() (see sig.h for the key formats, bytecode.h
 * for the trailer).
 *
 * Why here and not in libscope: libscope links libc and PCRE2 only, and a
 * signature check needs a cryptographic library (hand-written crypto is
 * out of the question).  libscope-enforce already links Nettle for the
 * policy digest; Ed25519 is Nettle's libhogweed.  libscope itself only
 * recognises the trailer (no cryptography) so that a signed image still
 * loads where no key is required.
 */
#include "sig.h"

#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/base64.h>
#include <nettle/eddsa.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t spki_prefix[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
				       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
static const uint8_t pkcs8_prefix[] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
					0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };

static const char *pem_label(bool private_key)
{
	return private_key ? "PRIVATE KEY" : "PUBLIC KEY";
}

/* The base64 body between "-----BEGIN LABEL-----" and "-----END LABEL-----". */
static bool pem_body(const char *text, size_t len, const char *label, const char **body, size_t *n)
{
	char begin[64], end[64];
	snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
	snprintf(end, sizeof end, "-----END %s-----", label);
	const char *b = memmem(text, len, begin, strlen(begin));
	if (!b)
		return false;
	b += strlen(begin);
	const char *e = memmem(b, len - (size_t)(b - text), end, strlen(end));
	if (!e)
		return false;
	*body = b;
	*n = (size_t)(e - b);
	return true;
}

int sig_key_from_pem(const char *text, size_t len, bool private_key, uint8_t key[SIG_KEY])
{
	const char *body;
	size_t n;
	if (!text || len > SIG_PEM_MAX || !pem_body(text, len, pem_label(private_key), &body, &n))
		return -SCOPE_EKEY;
	uint8_t der[BASE64_DECODE_LENGTH(SIG_PEM_MAX)];
	size_t dn = sizeof der;
	struct base64_decode_ctx ctx;
	base64_decode_init(&ctx); /* skips the blanks and line breaks */
	if (!base64_decode_update(&ctx, &dn, der, n, body) || !base64_decode_final(&ctx))
		return -SCOPE_EKEY;
	const uint8_t *prefix = private_key ? pkcs8_prefix : spki_prefix;
	size_t plen = private_key ? sizeof pkcs8_prefix : sizeof spki_prefix;
	int rc = -SCOPE_EKEY;
	if (dn == plen + SIG_KEY && memcmp(der, prefix, plen) == 0) {
		memcpy(key, der + plen, SIG_KEY);
		rc = 0;
	}
	explicit_bzero(der, sizeof der);
	return rc;
}

size_t sig_key_to_pem(const uint8_t key[SIG_KEY], bool private_key, char *out)
{
	uint8_t der[sizeof pkcs8_prefix + SIG_KEY];
	size_t plen = private_key ? sizeof pkcs8_prefix : sizeof spki_prefix;
	memcpy(der, private_key ? pkcs8_prefix : spki_prefix, plen);
	memcpy(der + plen, key, SIG_KEY);
	char b64[BASE64_ENCODE_RAW_LENGTH(sizeof der) + 1];
	size_t bn = BASE64_ENCODE_RAW_LENGTH(plen + SIG_KEY); /* <= 64: one line */
	base64_encode_raw(b64, plen + SIG_KEY, der);
	int n = snprintf(out, SIG_PEM_MAX, "-----BEGIN %s-----\n%.*s\n-----END %s-----\n",
			 pem_label(private_key), (int)bn, b64, pem_label(private_key));
	explicit_bzero(der, sizeof der);
	explicit_bzero(b64, sizeof b64);
	return n > 0 ? (size_t)n : 0;
}

int sig_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -SCOPE_EIO;
	/* Callers print strerror(errno) for -SCOPE_EIO: a directory or a
	 * device opens fine and used to be reported as "Success". */
	int e = fstat(fd, &st) != 0 ? errno : S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	if (e) {
		close(fd);
		errno = e;
		return -SCOPE_EIO;
	}
	size_t n = 0;
	ssize_t r = 0;
	char extra;
	while (n < cap && ((r = read(fd, buf + n, cap - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	if (r >= 0 && n == cap)
		while ((r = read(fd, &extra, 1)) < 0 && errno == EINTR)
			;
	close(fd);
	if (r < 0)
		return -SCOPE_EIO;
	if (n == cap && r > 0)
		return -SCOPE_ELENGTH;
	*len = n;
	return 0;
}

void sig_key_id(const uint8_t pub[SIG_KEY], uint8_t id[SCOPE_SIG_KEYID])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, SIG_KEY, pub);
	sha256_digest(&ctx, SCOPE_SIG_KEYID, id);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void sig_key_id_str(const uint8_t pub[SIG_KEY], char out[SIG_KEYID_STR])
{
	uint8_t id[SCOPE_SIG_KEYID];
	sig_key_id(pub, id);
	hex(id, sizeof id, out);
}

bool sig_signer_id_str(const void *data, size_t len, char out[SIG_KEYID_STR])
{
	size_t ilen;
	if (scope_bc_layout_of(data, len, &ilen) != SCOPE_BC_SIGNED)
		return false;
	hex((const uint8_t *)data + ilen + 16, SCOPE_SIG_KEYID, out);
	return true;
}

void sig_trailer_head(const uint8_t pub[SIG_KEY], uint8_t head[SCOPE_SIG_HEAD])
{
	memset(head, 0, SCOPE_SIG_HEAD);
	memcpy(head, SCOPE_SIG_MAGIC, SCOPE_SIG_MAGIC_LEN);
	head[8] = SCOPE_SIG_ED25519; /* u32 LE; bytes 9..15 stay 0 */
	sig_key_id(pub, head + 16);
}

int sig_sign_image(const uint8_t *image, size_t ilen, const uint8_t priv[SIG_KEY],
		   const uint8_t pub[SIG_KEY], uint8_t **out)
{
	size_t slen = ilen + SCOPE_SIG_TRAILER;
	uint8_t *b = malloc(slen);
	*out = b;
	if (!b)
		return -SCOPE_ENOMEM;
	memcpy(b, image, ilen);
	sig_trailer_head(pub, b + ilen);
	ed25519_sha512_sign(pub, priv, ilen + SCOPE_SIG_HEAD, b, b + slen - SCOPE_SIG_LEN);
	return 0;
}

int sig_check(const void *data, size_t len, const uint8_t pub[SIG_KEY], size_t *image_len)
{
	if (!scope_is_bytecode(data, len))
		return -SCOPE_EFORMAT;
	switch (scope_bc_layout_of(data, len, image_len)) {
	case SCOPE_BC_PLAIN:
		return -SCOPE_EUNSIGNED;
	case SCOPE_BC_SIGNED:
		break;
	case SCOPE_BC_BADSIG:
		return -SCOPE_ESIGNATURE;
	default:
		return -SCOPE_ELENGTH;
	}
	const uint8_t *b = data;
	return ed25519_sha512_verify(pub, len - SCOPE_SIG_LEN, b, b + len - SCOPE_SIG_LEN) == 1
		       ? 0
		       : -SCOPE_ESIGNATURE;
}

/* ---- the public entry points (scope_enforce.h) --------------------------- */

int scope_policy_load_signed(scope_policy **out, const void *image, size_t len, const void *pubkey,
			     size_t keylen)
{
	if (!out)
		return -SCOPE_EINVAL;
	*out = NULL;
	if ((!image && len) || !pubkey)
		return -SCOPE_EINVAL;
	if (keylen != SCOPE_ED25519_KEY_LEN)
		return -SCOPE_EKEY;
	size_t ilen;
	int rc = sig_check(image, len, pubkey, &ilen);
	return rc < 0 ? rc : scope_policy_load(out, image, ilen);
}

/* The checks and the read the file loaders share; *BUF is NULL or the
 * file's bytes (the caller frees it either way). */
static int read_signed_file(scope_policy **out, const char *path, void **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (!out)
		return -SCOPE_EINVAL;
	*out = NULL;
	if (!path)
		return -SCOPE_EINVAL;
	return scope_image_read_file(path, buf, len);
}

int scope_policy_load_file_signed(scope_policy **out, const char *path, const void *pubkey,
				  size_t keylen)
{
	void *buf;
	size_t len;
	int rc = read_signed_file(out, path, &buf, &len);
	if (rc == 0)
		rc = scope_policy_load_signed(out, buf, len, pubkey, keylen);
	free(buf);
	return rc;
}

int scope_policy_load_signed_any(scope_policy **out, const void *image, size_t len,
				 const unsigned char (*keys)[SCOPE_ED25519_KEY_LEN], size_t nkeys, size_t *which)
{
	if (!out)
		return -SCOPE_EINVAL;
	*out = NULL;
	if (!keys || !nkeys)
		return -SCOPE_EKEY;
	int rc = -SCOPE_ESIGNATURE;
	size_t k;
	for (k = 0; k < nkeys && rc == -SCOPE_ESIGNATURE; k++)
		rc = scope_policy_load_signed(out, image, len, keys[k], SCOPE_ED25519_KEY_LEN);
	if (rc == 0 && which)
		*which = k - 1;
	return rc;
}

int scope_policy_load_file_signed_any(scope_policy **out, const char *path,
				      const unsigned char (*keys)[SCOPE_ED25519_KEY_LEN], size_t nkeys,
				      size_t *which)
{
	void *buf;
	size_t len;
	int rc = read_signed_file(out, path, &buf, &len);
	if (rc == 0)
		rc = scope_policy_load_signed_any(out, buf, len, keys, nkeys, which);
	free(buf);
	return rc;
}

int scope_key_parse_public(const char *pem, size_t len, unsigned char key[SCOPE_ED25519_KEY_LEN])
{
	if (!pem || !key)
		return -SCOPE_EINVAL;
	return sig_key_from_pem(pem, len, false, key);
}

int scope_key_read_public(const char *path, unsigned char key[SCOPE_ED25519_KEY_LEN])
{
	if (!path || !key)
		return -SCOPE_EINVAL;
	uint8_t text[SIG_PEM_MAX];
	size_t n;
	int rc = sig_read_file(path, text, sizeof text, &n);
	if (rc == -SCOPE_ELENGTH)
		return -SCOPE_EKEY;
	return rc < 0 ? rc : sig_key_from_pem((const char *)text, n, false, key);
}
