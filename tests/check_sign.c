/* check_sign.c — signed policies: the trailer format, the Ed25519 check of
 * scope_policy_load_signed() (libscope-enforce) and the key files.  Every
 * flipped byte of a signed image, every truncation, a wrong key, a
 * re-signed image, unsigned images and source are refused; libscope's own
 * loader reads a signed image without checking it. */
#include "suites.h"
#include "backend_test.h"
#include "bytecode.h"
#include "resolve.h"
#include "scope.h"
#include "scope_enforce.h"
#include "sig.h"

#include <errno.h>
#include <nettle/eddsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char src[] =
	"task triage\n  allows read forum.**\n  asks post forum.** when channel == \"internal\"\n"
	"  denies config.*\n";

/* RFC 8410, section 10.3 (private) and 10.1 (its public key). */
static const char rfc_priv[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
			       "-----END PRIVATE KEY-----\n";
static const char rfc_pub[] = "-----BEGIN PUBLIC KEY-----\n"
			      "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
			      "-----END PUBLIC KEY-----\n";

static unsigned char *compile_src(size_t *len)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "sign.scope", src, strlen(src));
	ck_assert_ptr_nonnull(p);
	unsigned char *img = sc_bt_compile(p, &d, false, 0, len);
	sc_policy_free(p);
	sc_diag_fini(&d);
	return img;
}

static void keypair(uint8_t seed_byte, uint8_t priv[SIG_KEY], uint8_t pub[SIG_KEY])
{
	memset(priv, seed_byte, SIG_KEY);
	ed25519_sha512_public_key(pub, priv);
}

/* The image signed by the key of SEED_BYTE; *slen its length. */
static uint8_t *signed_image(const unsigned char *img, size_t len, uint8_t seed_byte, size_t *slen)
{
	uint8_t priv[SIG_KEY], pub[SIG_KEY], *out;
	keypair(seed_byte, priv, pub);
	ck_assert_int_eq(sig_sign_image(img, len, priv, pub, &out), 0);
	*slen = len + SCOPE_SIG_TRAILER;
	return out;
}

static int load_signed(const void *data, size_t len, const uint8_t pub[SIG_KEY])
{
	scope_policy *p = (scope_policy *)1;
	int rc = scope_policy_load_signed(&p, data, len, pub, SCOPE_ED25519_KEY_LEN);
	ck_assert(rc <= 0);
	ck_assert(rc == 0 ? p != NULL : p == NULL);
	scope_policy_destroy(p);
	return rc;
}

START_TEST(round_trip)
{
	size_t len, slen;
	unsigned char *img = compile_src(&len);
	uint8_t *s = signed_image(img, len, 7, &slen);
	uint8_t priv[SIG_KEY], pub[SIG_KEY];
	keypair(7, priv, pub);
	ck_assert_int_eq(scope_bc_layout_of(s, slen, &(size_t){ 0 }), SCOPE_BC_SIGNED);
	ck_assert_mem_eq(s, img, len); /* the image is unchanged */
	scope_policy *p;
	ck_assert_int_eq(scope_policy_load_signed(&p, s, slen, pub, sizeof pub), 0);
	ck_assert_uint_eq(scope_policy_image_size(p), len);
	scope_scratch *scr;
	ck_assert_int_eq(scope_scratch_create(&scr), 0);
	scope_request rq = { "triage", 6, "read", 4, "forum.help", 10, NULL, 0 };
	scope_result r;
	ck_assert_int_eq(scope_decide(p, scr, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ALLOW);
	scope_policy_destroy(p);
	/* libscope alone loads it too, without checking the signature */
	ck_assert_int_eq(scope_policy_load(&p, s, slen), 0);
	ck_assert_uint_eq(scope_policy_image_size(p), len);
	ck_assert_int_eq(scope_decide(p, scr, &rq, &r), 0);
	ck_assert_int_eq(r.decision, SCOPE_ALLOW);
	scope_policy_destroy(p);
	/* the signer's key id is named */
	char id[SIG_KEYID_STR], want[SIG_KEYID_STR];
	ck_assert(sig_signer_id_str(s, slen, id));
	sig_key_id_str(pub, want);
	ck_assert_str_eq(id, want);
	ck_assert(!sig_signer_id_str(img, len, id));
	/* Ed25519 is deterministic: signing again gives the same bytes */
	size_t slen2;
	uint8_t *s2 = signed_image(img, len, 7, &slen2);
	ck_assert_mem_eq(s, s2, slen);
	/* through a file */
	char path[] = "/tmp/check_sign_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, slen), (ssize_t)slen);
	close(fd);
	ck_assert_int_eq(scope_policy_load_file_signed(&p, path, pub, sizeof pub), 0);
	scope_policy_destroy(p);
	ck_assert_int_eq(scope_policy_load_file(&p, path), 0);
	scope_policy_destroy(p);
	unlink(path);
	ck_assert_int_eq(scope_policy_load_file_signed(&p, path, pub, sizeof pub), -SCOPE_EIO);
	scope_scratch_destroy(scr);
	free(s2);
	free(s);
	free(img);
}
END_TEST

/* A set of trusted keys (rotation): the image loads with the key that
 * signed it wherever it is in the set, and not at all without it; an empty
 * set is an error, never "no check". */
START_TEST(key_sets)
{
	size_t len, slen;
	unsigned char *img = compile_src(&len);
	uint8_t *s = signed_image(img, len, 7, &slen);
	unsigned char keys[3][SCOPE_ED25519_KEY_LEN];
	uint8_t priv[SIG_KEY];
	keypair(1, priv, keys[0]);
	keypair(2, priv, keys[1]);
	keypair(7, priv, keys[2]);
	scope_policy *p = (scope_policy *)1;
	size_t which = 99;
	ck_assert_int_eq(scope_policy_load_signed_any(&p, s, slen, (const unsigned char (*)[32])keys, 3, &which), 0);
	ck_assert_uint_eq(which, 2);
	scope_policy_destroy(p);
	ck_assert_int_eq(scope_policy_load_signed_any(&p, s, slen, (const unsigned char (*)[32])keys + 2, 1, NULL), 0);
	scope_policy_destroy(p);
	ck_assert_int_eq(scope_policy_load_signed_any(&p, s, slen, (const unsigned char (*)[32])keys, 2, &which),
			 -SCOPE_ESIGNATURE);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(scope_policy_load_signed_any(&p, s, slen, (const unsigned char (*)[32])keys, 0, NULL),
			 -SCOPE_EKEY);
	ck_assert_int_eq(scope_policy_load_signed_any(&p, s, slen, NULL, 3, NULL), -SCOPE_EKEY);
	ck_assert_int_eq(scope_policy_load_signed_any(NULL, s, slen, (const unsigned char (*)[32])keys, 3, NULL),
			 -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_signed_any(&p, img, len, (const unsigned char (*)[32])keys, 3, NULL),
			 -SCOPE_EUNSIGNED);
	char path[] = "/tmp/check_sign_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, slen), (ssize_t)slen);
	close(fd);
	ck_assert_int_eq(scope_policy_load_file_signed_any(&p, path, (const unsigned char (*)[32])keys, 3, &which), 0);
	ck_assert_uint_eq(which, 2);
	scope_policy_destroy(p);
	ck_assert_int_eq(scope_policy_load_file_signed_any(&p, path, (const unsigned char (*)[32])keys, 2, NULL),
			 -SCOPE_ESIGNATURE);
	ck_assert_int_eq(scope_policy_load_file_signed_any(&p, NULL, (const unsigned char (*)[32])keys, 2, NULL),
			 -SCOPE_EINVAL);
	unlink(path);
	ck_assert_int_eq(scope_policy_load_file_signed_any(&p, path, (const unsigned char (*)[32])keys, 3, NULL),
			 -SCOPE_EIO);
	ck_assert_int_eq(scope_policy_load_file_signed_any(NULL, path, (const unsigned char (*)[32])keys, 3, NULL),
			 -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_file_signed(NULL, path, keys[0], 32), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_file_signed(&p, NULL, keys[0], 32), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_key_read_public(NULL, keys[0]), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_key_read_public(path, NULL), -SCOPE_EINVAL);
	/* a PEM block without its END line */
	static const char cut[] = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n";
	ck_assert_int_eq(scope_key_parse_public(cut, sizeof cut - 1, keys[0]), -SCOPE_EKEY);
	free(s);
	free(img);
}
END_TEST

START_TEST(refused)
{
	size_t len, slen;
	unsigned char *img = compile_src(&len);
	uint8_t *s = signed_image(img, len, 7, &slen);
	uint8_t priv[SIG_KEY], pub[SIG_KEY], other[SIG_KEY];
	keypair(7, priv, pub);
	keypair(8, priv, other);
	scope_policy *p = (scope_policy *)1;
	/* unsigned, source, wrong key, bad arguments */
	ck_assert_int_eq(load_signed(img, len, pub), -SCOPE_EUNSIGNED);
	ck_assert_int_eq(load_signed(src, strlen(src), pub), -SCOPE_EFORMAT);
	ck_assert_int_eq(load_signed(s, slen, other), -SCOPE_ESIGNATURE);
	ck_assert_int_eq(scope_policy_load_signed(&p, s, slen, pub, 31), -SCOPE_EKEY);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(scope_policy_load_signed(&p, s, slen, NULL, 32), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_signed(NULL, s, slen, pub, 32), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_policy_load_signed(&p, NULL, 1, pub, 32), -SCOPE_EINVAL);
	/* re-signed by another key (its key id and all): the other key's */
	size_t rlen;
	uint8_t *r = signed_image(img, len, 8, &rlen);
	ck_assert_int_eq(load_signed(r, rlen, other), 0);
	ck_assert_int_eq(load_signed(r, rlen, pub), -SCOPE_ESIGNATURE);
	/* another key's signature under our key id */
	memcpy(r + len + 16, s + len + 16, SCOPE_SIG_KEYID);
	ck_assert_int_eq(load_signed(r, rlen, pub), -SCOPE_ESIGNATURE);
	ck_assert_int_eq(load_signed(r, rlen, other), -SCOPE_ESIGNATURE); /* the key id is signed */
	/* every truncation of the signed file, and bytes appended */
	for (size_t n = 0; n < slen; n++)
		ck_assert_int_ne(load_signed(s, n, pub), 0);
	uint8_t *big = malloc(slen + 8);
	memcpy(big, s, slen);
	memset(big + slen, 0, 8);
	for (size_t n = slen + 1; n <= slen + 8; n++)
		ck_assert_int_ne(load_signed(big, n, pub), 0);
	/* a malformed trailer is refused by libscope's loader as well */
	ck_assert_int_eq(scope_policy_load(&p, s, slen - 1), -SCOPE_ELENGTH);
	ck_assert_ptr_null(p);
	/* every byte flipped (one bit, then all bits), image and trailer */
	for (size_t i = 0; i < slen; i++)
		for (int m = 0; m < 2; m++) {
			uint8_t save = s[i];
			s[i] ^= m ? 0xff : 0x01;
			ck_assert_msg(load_signed(s, slen, pub) != 0, "flip of byte %zu accepted", i);
			s[i] = save;
		}
	ck_assert_int_eq(load_signed(s, slen, pub), 0);
	/* an unknown algorithm */
	s[len + 8] = 2;
	ck_assert_int_eq(load_signed(s, slen, pub), -SCOPE_ESIGNATURE);
	free(big);
	free(r);
	free(s);
	free(img);
}
END_TEST

START_TEST(key_files)
{
	uint8_t priv[SIG_KEY], pub[SIG_KEY], derived[SIG_KEY], k[SIG_KEY];
	ck_assert_int_eq(sig_key_from_pem(rfc_priv, strlen(rfc_priv), true, priv), 0);
	ck_assert_int_eq(scope_key_parse_public(rfc_pub, strlen(rfc_pub), pub), 0);
	ed25519_sha512_public_key(derived, priv);
	ck_assert_mem_eq(derived, pub, SIG_KEY);
	/* what we write is what OpenSSL writes for the same keys */
	char text[SIG_PEM_MAX];
	sig_key_to_pem(priv, true, text);
	ck_assert_str_eq(text, rfc_priv);
	sig_key_to_pem(pub, false, text);
	ck_assert_str_eq(text, rfc_pub);
	/* the wrong kind, garbage, a cut or lengthened DER, line breaks */
	ck_assert_int_eq(scope_key_parse_public(rfc_priv, strlen(rfc_priv), k), -SCOPE_EKEY);
	ck_assert_int_eq(sig_key_from_pem(rfc_pub, strlen(rfc_pub), true, k), -SCOPE_EKEY);
	ck_assert_int_eq(scope_key_parse_public("hello", 5, k), -SCOPE_EKEY);
	ck_assert_int_eq(scope_key_parse_public("", 0, k), -SCOPE_EKEY);
	ck_assert_int_eq(scope_key_parse_public(NULL, 0, k), -SCOPE_EINVAL);
	static const char cut[] = "-----BEGIN PUBLIC KEY-----\n"
				  "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAx\n"
				  "-----END PUBLIC KEY-----\n";
	ck_assert_int_eq(scope_key_parse_public(cut, strlen(cut), k), -SCOPE_EKEY);
	static const char other_oid[] = "-----BEGIN PUBLIC KEY-----\n"
				   "MCowBQYDK2VvAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
				   "-----END PUBLIC KEY-----\n"; /* OID 1.3.101.111: X448 */
	ck_assert_int_eq(scope_key_parse_public(other_oid, strlen(other_oid), k), -SCOPE_EKEY);
	static const char bad64[] = "-----BEGIN PUBLIC KEY-----\n"
				    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE!\n"
				    "-----END PUBLIC KEY-----\n";
	ck_assert_int_eq(scope_key_parse_public(bad64, strlen(bad64), k), -SCOPE_EKEY);
	static const char wrapped[] = "comment line\n-----BEGIN PUBLIC KEY-----\r\n"
				      "MCowBQYDK2VwAyEAGb9ECWmEzf6F\r\n  QbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\r\n"
				      "-----END PUBLIC KEY-----\r\n";
	ck_assert_int_eq(scope_key_parse_public(wrapped, strlen(wrapped), k), 0);
	ck_assert_mem_eq(k, pub, SIG_KEY);
	/* files */
	char path[] = "/tmp/check_sign_key_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, rfc_pub, strlen(rfc_pub)), (ssize_t)strlen(rfc_pub));
	close(fd);
	ck_assert_int_eq(scope_key_read_public(path, k), 0);
	ck_assert_mem_eq(k, pub, SIG_KEY);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 5000; i++)
		fputc(' ', f);
	fputs(rfc_pub, f);
	fclose(f);
	ck_assert_int_eq(scope_key_read_public(path, k), -SCOPE_EKEY); /* over 4 KiB */
	unlink(path);
	ck_assert_int_eq(scope_key_read_public(path, k), -SCOPE_EIO);
	ck_assert_int_eq(scope_key_read_public("/", k), -SCOPE_EIO);
	/* a device is no key file (errno says why); a read that fails is EIO */
	errno = 0;
	ck_assert_int_eq(scope_key_read_public("/dev/null", k), -SCOPE_EIO);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(scope_key_read_public("/proc/self/mem", k), -SCOPE_EIO);
	ck_assert_int_eq(scope_key_read_public(NULL, k), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_key_read_public(path, NULL), -SCOPE_EINVAL);
	/* exactly 4 KiB is read whole (then it is no key: the PEM is cut) */
	f = fopen(path, "w");
	fputs(rfc_pub, f);
	for (size_t i = strlen(rfc_pub); i < SIG_PEM_MAX; i++)
		fputc('\n', f);
	fclose(f);
	ck_assert_int_eq(scope_key_read_public(path, k), 0);
	ck_assert_mem_eq(k, pub, SIG_KEY);
	unlink(path);
	/* text that is not a key: none, too long, a base64 body left unfinished */
	ck_assert_int_eq(sig_key_from_pem(NULL, 0, false, k), -SCOPE_EKEY);
	ck_assert_int_eq(sig_key_from_pem(rfc_pub, SIG_PEM_MAX + 1, false, k), -SCOPE_EKEY);
	static const char unfinished[] = "-----BEGIN PUBLIC KEY-----\nMCo\n-----END PUBLIC KEY-----\n";
	ck_assert_int_eq(scope_key_parse_public(unfinished, strlen(unfinished), k), -SCOPE_EKEY);
	ck_assert_int_eq(scope_key_parse_public(rfc_pub, strlen(rfc_pub), NULL), -SCOPE_EINVAL);
}
END_TEST

START_TEST(error_texts)
{
	ck_assert_str_eq(scope_strerror(-SCOPE_EUNSIGNED), "image is not signed");
	ck_assert_str_eq(scope_strerror(-SCOPE_ESIGNATURE), "signature does not verify");
	ck_assert_str_eq(scope_strerror(-SCOPE_EKEY), "not an Ed25519 key");
}
END_TEST

Suite *sc_suite_sign(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("sign");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, key_sets);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, key_files);
	tcase_add_test(tc, error_texts);
	suite_add_tcase(s, tc);
	return s;
}
