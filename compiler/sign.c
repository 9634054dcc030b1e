/*
 * sign.c — `scopec keygen`, `scopec sign`, `scopec verify`.
 *
 * A policy built in CI is signed there with a private key that never
 * leaves CI; services hold only the public key (`--trusted-key`) and load
 * nothing that key did not sign, wherever the file came from.  The signed
 * file is the compiled image, unchanged, with an 88-byte trailer (see
 * runtime/bytecode.h): one file to publish, fetch and swap atomically, and
 * loaders that do not require a signature still read it.
 *
 * The cryptography is Nettle's (Ed25519 from libhogweed, SHA-256); key
 * files are PKCS#8 / SubjectPublicKeyInfo PEM (runtime/enforce/sig.h), so
 * OpenSSL and other tools can make and read them.
 *
 * Exit status: keygen and sign 0, 2 usage, I/O or an unusable image or
 * key; verify 0 valid, 1 not signed or not by a given key, 2 usage, I/O,
 * not an image, an unusable key.
 */
#include "sign.h"
#include "diag.h" /* sc_diag_load_strerror: the words of scopec check */
#include "ep.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/eddsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_FAIL = 1, EXIT_USAGE = 2, MAX_KEYS = 16 };

const char sc_keygen_usage[] =
	"usage: scopec keygen --out PREFIX\n"
	"  Makes an Ed25519 key pair for signing policies: PREFIX.pem, the private\n"
	"  key (PKCS#8 PEM, mode 0600: keep it in CI's secret store), and\n"
	"  PREFIX.pub.pem, the public key (SubjectPublicKeyInfo PEM) that services\n"
	"  trust with --trusted-key.  Prints the key id.  Existing files are never\n"
	"  overwritten.\n"
	"  exit: 0, 2 usage or I/O\n";

const char sc_sign_usage[] =
	"usage: scopec sign IMAGE --key PRIVATE.pem [-o OUT]\n"
	"  Signs the bytecode IMAGE (from `scopec compile`; it is verified first)\n"
	"  with the Ed25519 private key: the output is the image followed by an\n"
	"  88-byte signature trailer over all of it.  A signature already there is\n"
	"  replaced.  OUT defaults to IMAGE (rewritten atomically).  Prints the key\n"
	"  id and the policy digest (sha256 of the image, as decision logs name it).\n"
	"  exit: 0, 2 usage, I/O, not a valid image, not an Ed25519 private key\n";

const char sc_verify_usage[] =
	"usage: scopec verify IMAGE --key PUBLIC.pem [--key PUBLIC.pem...]\n"
	"  Checks that IMAGE is a valid bytecode image signed by one of the keys\n"
	"  (as scope-gateway and scope-mcp do with --trusted-key).\n"
	"  exit: 0 signed by a given key, 1 not signed, signed by another key,\n"
	"  a bad signature or image, 2 usage, I/O, not an Ed25519 public key\n";

static int usage(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "scopec %s: ", cmd);
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nTry 'scopec %s --help'.\n", cmd);
	return EXIT_USAGE;
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* "--key FILE" or "--key=FILE" at argv[*i]: true with *val (NULL if the
 * value is missing). */
static bool opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	if (a[n] != '\0')
		return false;
	*val = *i + 1 < argc ? argv[++*i] : NULL;
	return true;
}

/* The whole file PATH (at most MAX bytes) into a new buffer. */
static int read_all(const char *cmd, const char *path, size_t max, uint8_t **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		fprintf(stderr, "scopec %s: cannot read '%s': %s\n", cmd, path,
			fd < 0 ? strerror(errno) : "not a regular file of a policy's size");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	uint8_t *buf = malloc(cap);
	ssize_t r = 0;
	while (buf && n < cap && ((r = read(fd, buf + n, cap - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	close(fd);
	if (!buf || r < 0 || n > max) {
		fprintf(stderr, "scopec %s: cannot read '%s': %s\n", cmd, path,
			!buf ? "out of memory" : r < 0 ? strerror(errno) : "it grew while being read");
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* DATA into PATH through a temporary file in the same directory and
 * rename(2): a service watching PATH sees the old file or the new one. */
static int write_atomic(const char *cmd, const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	if (!tmp) {
		fprintf(stderr, "scopec %s: out of memory\n", cmd);
		return -1;
	}
	snprintf(tmp, plen + 16, "%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	bool ok = fd >= 0 && fchmod(fd, mode) == 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		ok = w > 0;
		off += w > 0 ? (size_t)w : 0;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok) {
		fprintf(stderr, "scopec %s: cannot write '%s': %s\n", cmd, path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

/* A new file PATH with TEXT; never replaces an existing one. */
static int write_new(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t len = strlen(text);
	bool ok = fd >= 0 && fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len &&
		  fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "scopec keygen: cannot write '%s': %s\n", path, strerror(errno));
		if (fd >= 0)
			unlink(path);
	}
	return ok ? 0 : -1;
}

/* ---- keygen ---------------------------------------------------------------- */

static int keygen(const char *prefix)
{
	uint8_t priv[SIG_KEY], pub[SIG_KEY];
	if (getrandom(priv, sizeof priv, 0) != (ssize_t)sizeof priv) {
		fprintf(stderr, "scopec keygen: no random bytes: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	ed25519_sha512_public_key(pub, priv);
	char ppath[4096], qpath[4096], text[SIG_PEM_MAX], id[SIG_KEYID_STR];
	int rc = EXIT_USAGE;
	if ((size_t)snprintf(ppath, sizeof ppath, "%s.pem", prefix) >= sizeof ppath ||
	    (size_t)snprintf(qpath, sizeof qpath, "%s.pub.pem", prefix) >= sizeof qpath) {
		fprintf(stderr, "scopec keygen: prefix too long\n");
		goto out;
	}
	sig_key_to_pem(priv, true, text);
	if (write_new(ppath, text, 0600) < 0)
		goto out;
	sig_key_to_pem(pub, false, text);
	if (write_new(qpath, text, 0644) < 0) {
		unlink(ppath);
		goto out;
	}
	sig_key_id_str(pub, id);
	printf("key %s: private %s (keep secret), public %s\n", id, ppath, qpath);
	rc = 0;
out:
	explicit_bzero(priv, sizeof priv);
	explicit_bzero(text, sizeof text);
	return rc;
}

int sc_cmd_keygen(int argc, char **argv)
{
	const char *prefix = NULL;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(sc_keygen_usage, stdout);
			return 0;
		}
		if (opt_value(argc, argv, &i, "--out", &prefix)) {
			if (!prefix || !*prefix)
				return usage("keygen", "%s", "--out needs a file name prefix");
		} else {
			return usage("keygen", "unexpected argument '%s'", argv[i]);
		}
	}
	if (!prefix)
		return usage("keygen", "%s", "no output prefix given (--out PREFIX)");
	return keygen(prefix);
}

/* ---- sign ------------------------------------------------------------------ */

/* The private key of the PEM file PATH and its public key. */
static int read_private(const char *path, uint8_t priv[SIG_KEY], uint8_t pub[SIG_KEY])
{
	uint8_t text[SIG_PEM_MAX];
	size_t n;
	int rc = sig_read_file(path, text, sizeof text, &n);
	if (rc == 0)
		rc = sig_key_from_pem((const char *)text, n, true, priv);
	explicit_bzero(text, sizeof text);
	if (rc < 0) {
		fprintf(stderr, "scopec sign: '%s': %s\n", path,
			rc == -SCOPE_EIO ? sc_diag_load_strerror(errno)
					 : "not an unencrypted Ed25519 private key (PKCS#8 PEM)");
		return -1;
	}
	ed25519_sha512_public_key(pub, priv);
	return 0;
}

/* The image of DATA (a signature there is dropped), verified; its length. */
static int image_of(const char *path, const uint8_t *data, size_t len, size_t *ilen)
{
	if (!scope_is_bytecode(data, len)) {
		fprintf(stderr, "scopec sign: '%s' is not a bytecode image (run `scopec compile` first)\n", path);
		return -1;
	}
	scope_bc_layout layout = scope_bc_layout_of(data, len, ilen);
	char old[SIG_KEYID_STR];
	if (layout == SCOPE_BC_SIGNED && sig_signer_id_str(data, len, old))
		fprintf(stderr, "scopec sign: '%s' was signed by key %s; replacing that signature\n", path, old);
	scope_policy *p;
	int rc = layout == SCOPE_BC_BADSIG ? -SCOPE_ESIGNATURE : scope_policy_load(&p, data, *ilen);
	if (rc < 0) {
		fprintf(stderr, "scopec sign: '%s' is not a valid image: %s\n", path, scope_strerror(rc));
		return -1;
	}
	scope_policy_destroy(p);
	return 0;
}

static int sign(const char *in, const char *keyfile, const char *out)
{
	uint8_t *data, priv[SIG_KEY], pub[SIG_KEY];
	size_t len, ilen;
	if (read_all("sign", in, SCOPE_BC_MAX_IMAGE + (size_t)SCOPE_SIG_TRAILER, &data, &len) < 0)
		return EXIT_USAGE;
	int rc = EXIT_USAGE;
	uint8_t *signed_img = NULL;
	if (image_of(in, data, len, &ilen) < 0 || read_private(keyfile, priv, pub) < 0)
		goto out;
	size_t slen = ilen + SCOPE_SIG_TRAILER;
	if (sig_sign_image(data, ilen, priv, pub, &signed_img) < 0) {
		fprintf(stderr, "scopec sign: out of memory\n");
		goto out;
	}
	size_t check_len; /* a signature that does not verify is never written */
	if (sig_check(signed_img, slen, pub, &check_len) != 0 || check_len != ilen) {
		fprintf(stderr, "scopec sign: internal error: the signature does not verify\n");
		goto out;
	}
	if (write_atomic("sign", out, signed_img, slen, 0644) < 0)
		goto out;
	char id[SIG_KEYID_STR], digest[EP_DIGEST_STR];
	sig_key_id_str(pub, id);
	ep_sha256_str(data, ilen, digest);
	printf("%s: signed by key %s, policy %s\n", out, id, digest);
	rc = 0;
out:
	explicit_bzero(priv, sizeof priv);
	free(signed_img);
	free(data);
	return rc;
}

int sc_cmd_sign(int argc, char **argv)
{
	const char *in = NULL, *key = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is_help(a)) {
			fputs(sc_sign_usage, stdout);
			return 0;
		}
		if (opt_value(argc, argv, &i, "--key", &key)) {
			if (!key || !*key)
				return usage("sign", "%s", "--key needs a private key file");
		} else if (opt_value(argc, argv, &i, "-o", &out)) {
			if (!out || !*out)
				return usage("sign", "%s", "-o needs a file name");
		} else if (a[0] == '-' && a[1]) {
			return usage("sign", "unknown option '%s'", a);
		} else if (in) {
			return usage("sign", "%s", "exactly one image");
		} else {
			in = a;
		}
	}
	if (!in)
		return usage("sign", "%s", "no image given");
	if (!key)
		return usage("sign", "%s", "no private key given (--key PRIVATE.pem)");
	return sign(in, key, out ? out : in);
}

/* ---- verify ---------------------------------------------------------------- */

/* True if ID names one of KEYS. */
static bool id_given(const char *id, uint8_t (*keys)[SIG_KEY], size_t nkeys)
{
	char kid[SIG_KEYID_STR];
	for (size_t k = 0; k < nkeys; k++) {
		sig_key_id_str(keys[k], kid);
		if (strcmp(kid, id) == 0)
			return true;
	}
	return false;
}

static int verify(const char *in, uint8_t (*keys)[SIG_KEY], size_t nkeys)
{
	uint8_t *data;
	size_t len;
	if (read_all("verify", in, SCOPE_BC_MAX_IMAGE + (size_t)SCOPE_SIG_TRAILER, &data, &len) < 0)
		return EXIT_USAGE;
	int rc = -SCOPE_ESIGNATURE;
	scope_policy *p = NULL;
	for (size_t k = 0; k < nkeys && rc == -SCOPE_ESIGNATURE; k++)
		rc = scope_policy_load_signed(&p, data, len, keys[k], SIG_KEY);
	char id[SIG_KEYID_STR], digest[EP_DIGEST_STR];
	int status = EXIT_FAIL;
	if (rc == 0) {
		sig_signer_id_str(data, len, id);
		ep_sha256_str(data, scope_policy_image_size(p), digest);
		printf("%s: signed by key %s, policy %s\n", in, id, digest);
		status = 0;
	} else if (rc == -SCOPE_EFORMAT) {
		fprintf(stderr, "scopec verify: '%s': %s\n", in, scope_strerror(rc));
		status = EXIT_USAGE;
	} else if (rc == -SCOPE_ESIGNATURE && sig_signer_id_str(data, len, id)) {
		/* A trailer naming a given key whose signature fails is a changed
		 * image or signature, not another signer (as it used to say). */
		fprintf(stderr, "scopec verify: '%s': %s (signed by key %s, %s)\n", in, scope_strerror(rc), id,
			id_given(id, keys, nkeys) ? "but the image or the signature changed since"
						  : "not by a given key");
	} else {
		fprintf(stderr, "scopec verify: '%s': %s\n", in, scope_strerror(rc));
	}
	scope_policy_destroy(p);
	free(data);
	return status;
}

int sc_cmd_verify(int argc, char **argv)
{
	const char *in = NULL, *key;
	uint8_t keys[MAX_KEYS][SIG_KEY];
	size_t nkeys = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is_help(a)) {
			fputs(sc_verify_usage, stdout);
			return 0;
		}
		if (opt_value(argc, argv, &i, "--key", &key)) {
			if (!key || !*key)
				return usage("verify", "%s", "--key needs a public key file");
			if (nkeys == MAX_KEYS)
				return usage("verify", "%s", "at most 16 keys");
			int rc = scope_key_read_public(key, keys[nkeys]);
			if (rc < 0) {
				fprintf(stderr, "scopec verify: '%s': %s\n", key,
					rc == -SCOPE_EIO ? sc_diag_load_strerror(errno)
							 : "not an Ed25519 public key (PEM)");
				return EXIT_USAGE;
			}
			nkeys++;
		} else if (a[0] == '-' && a[1]) {
			return usage("verify", "unknown option '%s'", a);
		} else if (in) {
			return usage("verify", "%s", "exactly one image");
		} else {
			in = a;
		}
	}
	if (!in)
		return usage("verify", "%s", "no image given");
	if (!nkeys)
		return usage("verify", "%s", "no public key given (--key PUBLIC.pem)");
	return verify(in, keys, nkeys);
}
