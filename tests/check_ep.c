/* check_ep.c — what the enforcement points share (runtime/enforce/ep.h):
 * loading a slot from source and from bytecode, every way a reload is
 * refused (the old policy stays in force and the log says why), the file
 * changes a poll tells apart, the trust rule's messages, deciding a
 * malformed request, and the decision log's failure paths.  The gateway
 * and scope-mcp checks drive the same code end to end; these pin the
 * error paths they cannot reach. */
#include "suites.h"
#include "backend_test.h"
#include "ep.h"
#include "resolve.h"
#include "sig.h"

#include <fcntl.h>
#include <nettle/eddsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char good_src[] = "task triage\n  allows read forum.**\n  denies config.*\n";
static const char other_src[] = "task triage\n  allows read forum.**\n  allows read docs.*\n";

static char dir[64];

/* DIR/NAME in a new string (an ep_slot keeps its path: one buffer each);
 * freed by remove_dir(). */
static char *paths[8];
static size_t npaths;

static const char *in_dir(const char *name)
{
	ck_assert_uint_lt(npaths, sizeof paths / sizeof paths[0]);
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return paths[npaths++] = p;
}

static void make_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/check-ep-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes every file made with in_dir(), then DIR. */
static void remove_dir(void)
{
	for (size_t i = 0; i < npaths; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	npaths = 0;
	ck_assert_int_eq(rmdir(dir), 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static unsigned char *compile_text(const char *src, size_t *len)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "ep.scope", src, strlen(src));
	ck_assert_ptr_nonnull(p);
	unsigned char *img = sc_bt_compile(p, &d, false, 0, len);
	ck_assert_ptr_nonnull(img);
	sc_policy_free(p);
	sc_diag_fini(&d);
	return img;
}

static void env_init(ep_env *e, const char *log)
{
	memset(e, 0, sizeof *e);
	e->prog = "check-ep";
	e->scopec = getenv("SCOPEC") ? getenv("SCOPEC") : "./scopec";
	ck_assert_int_eq(ep_log_open(&e->log, log), 0);
}

/* The last record of the log file PATH, and its field KEY as a string
 * ("" when it is not one). */
static const char *last_field(const char *path, const char *key)
{
	static char out[2048];
	char text[65536];
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	ck_assert(n > 0 && text[n - 1] == '\n');
	text[n - 1] = '\0';
	char *line = strrchr(text, '\n');
	json_t *r = json_loads(line ? line + 1 : text, 0, NULL);
	ck_assert_ptr_nonnull(r);
	const char *v = json_string_value(json_object_get(r, key));
	snprintf(out, sizeof out, "%s", v ? v : "");
	json_decref(r);
	return out;
}

static void assert_has(const char *s, const char *part)
{
	ck_assert_msg(strstr(s, part) != NULL, "'%s' does not contain '%s'", s, part);
}

static scope_request request(const char *action, const char *resource)
{
	return (scope_request){ "triage", 6, action, strlen(action), resource, strlen(resource), NULL, 0 };
}

/* A source policy compiles; a source that does not compile, or cannot be
 * compiled for want of a temporary file, is refused and the old policy
 * stays; an empty TMPDIR means /tmp. */
START_TEST(source_reloads)
{
	make_dir();
	const char *pol = in_dir("p.scope"), *log = in_dir("log");
	ep_env e;
	ep_slot s;
	env_init(&e, log);
	write_file(pol, good_src, strlen(good_src));
	ck_assert_int_eq(ep_slot_init(&e, &s, "enforced", pol), 0);
	char digest[EP_DIGEST_STR];
	snprintf(digest, sizeof digest, "%s", s.digest);
	ck_assert(strncmp(digest, "sha256:", 7) == 0);

	write_file(pol, "task triage\n  allows\n", 21);
	ck_assert_int_eq(ep_slot_reload(&e, &s, "sighup"), EP_RELOAD_REFUSED);
	ck_assert_str_eq(last_field(log, "type"), "error");
	assert_has(last_field(log, "error"), "(scopec compile exit 1)");
	ck_assert_str_eq(last_field(log, "policy"), digest);

	write_file(pol, good_src, strlen(good_src));
	const char *saved = getenv("TMPDIR");
	char keep[512];
	snprintf(keep, sizeof keep, "%s", saved ? saved : "");
	setenv("TMPDIR", in_dir("no-such-dir"), 1);
	int missing = ep_slot_reload(&e, &s, "sighup");
	char err[2048];
	snprintf(err, sizeof err, "%s", last_field(log, "error"));
	setenv("TMPDIR", "", 1);
	int empty = ep_slot_reload(&e, &s, "sighup");
	/* one descriptor left: the temporary file (in DIR) gets it, the pipe
	 * to the compiler cannot be made, and the file is removed again
	 * (remove_dir() finds DIR empty) */
	setenv("TMPDIR", dir, 1);
	int lowest = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	struct rlimit old;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	struct rlimit one = { (rlim_t)lowest + 1, old.rlim_max };
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &one), 0);
	int no_pipe = ep_slot_reload(&e, &s, "sighup");
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (saved)
		setenv("TMPDIR", keep, 1);
	else
		unsetenv("TMPDIR");
	ck_assert_int_eq(missing, EP_RELOAD_REFUSED);
	assert_has(err, "cannot create a temporary file");
	ck_assert_int_eq(empty, EP_RELOAD_UNCHANGED);
	ck_assert_str_eq(s.digest, digest);
	ck_assert_int_eq(no_pipe, EP_RELOAD_REFUSED);
	assert_has(last_field(log, "error"), "cannot create a temporary file: ");
	ck_assert_str_eq(s.digest, digest);

	/* the policy in force decides; a malformed request is a deny that says why */
	scope_scratch *scr;
	ck_assert_int_eq(scope_scratch_create(&scr), 0);
	ep_outcome o;
	scope_request rq = request("read", "forum.a");
	ep_decide(&s, scr, &rq, &o);
	ck_assert_int_eq(o.r.decision, SCOPE_ALLOW);
	ck_assert_str_eq(o.digest, digest);
	rq = request("", "forum.a");
	ep_decide(&s, scr, &rq, &o);
	ck_assert_int_eq(o.r.decision, SCOPE_DENY);
	assert_has(o.explain, "error (fail closed: deny): ");
	scope_scratch_destroy(scr);

	ep_slot_fini(&s);
	ep_log_close(e.log);
	remove_dir();
}
END_TEST

/* A file that opens but cannot be read (reading /proc/self/mem at offset 0
 * fails with EIO) is refused at start, as is a directory. */
START_TEST(unreadable_policies)
{
	make_dir();
	const char *log = in_dir("log");
	ep_env e;
	ep_slot s;
	env_init(&e, log);
	ck_assert_int_eq(ep_slot_init(&e, &s, "enforced", "/proc/self/mem"), -1);
	assert_has(last_field(log, "error"), "cannot read '/proc/self/mem': ");
	ep_slot_fini(&s);
	ck_assert_int_eq(ep_slot_init(&e, &s, "enforced", dir), -1);
	assert_has(last_field(log, "error"), "is not a regular file");
	ep_slot_fini(&s);

	/* the loaders of libscope and libscope-enforce say EIO, not "corrupt" */
	scope_policy *p = (scope_policy *)1;
	unsigned char pub[SCOPE_ED25519_KEY_LEN] = { 0 };
	ck_assert_int_eq(scope_policy_load_file(&p, "/proc/self/mem"), -SCOPE_EIO);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(scope_policy_load_file_signed(&p, "/proc/self/mem", pub, sizeof pub), -SCOPE_EIO);
	ck_assert_ptr_null(p);
	ep_log_close(e.log);
	remove_dir();
}
END_TEST

static void set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A poll reloads a file once it changed and then held still for one poll:
 * a new mtime, a file that changed again while pending, a new size, a new
 * inode (renamed over), and a file that went away are each told. */
START_TEST(poll_changes)
{
	make_dir();
	const char *pol = in_dir("p.bc"), *tmp = in_dir("q.bc"), *log = in_dir("log");
	size_t n1, n2;
	unsigned char *img1 = compile_text(good_src, &n1), *img2 = compile_text(other_src, &n2);
	ck_assert_uint_ne(n1, n2);
	ep_env e;
	ep_slot s;
	env_init(&e, log);
	write_file(pol, img1, n1);
	ck_assert_int_eq(ep_slot_init(&e, &s, "enforced", pol), 0);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE);

	set_mtime(pol, 1000); /* mtime only */
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE);
	set_mtime(pol, 2000); /* changed again while pending: wait once more */
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_UNCHANGED);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE);

	write_file(pol, img2, n2); /* a new size */
	set_mtime(pol, 2000);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_LOADED);
	ck_assert_str_eq(last_field(log, "result"), "loaded");

	write_file(tmp, img2, n2); /* the same bytes and times, another inode */
	set_mtime(tmp, 2000);
	ck_assert_int_eq(rename(tmp, pol), 0);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_UNCHANGED);

	ck_assert_int_eq(unlink(pol), 0);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE);
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_REFUSED);
	assert_has(last_field(log, "error"), "cannot open");
	ck_assert_int_eq(ep_slot_poll(&e, &s), EP_RELOAD_NONE); /* still gone: nothing new */

	ep_slot_fini(&s);
	ep_log_close(e.log);
	free(img1);
	free(img2);
	remove_dir();
}
END_TEST

static void trust_seed(ep_env *e, uint8_t seed)
{
	uint8_t priv[SIG_KEY];
	memset(priv, seed, sizeof priv);
	ed25519_sha512_public_key(e->trusted[e->ntrusted++], priv);
}

static uint8_t *sign_seed(const unsigned char *img, size_t len, uint8_t seed, size_t *slen)
{
	uint8_t priv[SIG_KEY], pub[SIG_KEY], *out;
	memset(priv, seed, sizeof priv);
	ed25519_sha512_public_key(pub, priv);
	ck_assert_int_eq(sig_sign_image(img, len, priv, pub, &out), 0);
	*slen = len + SCOPE_SIG_TRAILER;
	return out;
}

/* With two trusted keys: an unsigned image names both, another key's
 * signature names the signer, a trusted signature over an image the
 * verifier refuses says so, and a good one loads with its signer. */
START_TEST(trusted_keys)
{
	ep_env e;
	env_init(&e, NULL);
	trust_seed(&e, 1);
	trust_seed(&e, 2);
	char k1[SIG_KEYID_STR], k2[SIG_KEYID_STR], both[2 * SIG_KEYID_STR + 1];
	sig_key_id_str(e.trusted[0], k1);
	sig_key_id_str(e.trusted[1], k2);
	snprintf(both, sizeof both, "%s,%s", k1, k2);

	size_t n, sn;
	unsigned char *img = compile_text(good_src, &n);
	scope_policy *p;
	char digest[EP_DIGEST_STR], signer[SIG_KEYID_STR], err[1024];
	ck_assert_int_eq(ep_load_image(&e, "u.bc", img, n, &p, digest, signer, err, sizeof err), -1);
	ck_assert_ptr_null(p);
	assert_has(err, "a signature by a trusted key is required");
	assert_has(err, both);

	uint8_t *s3 = sign_seed(img, n, 3, &sn);
	ck_assert_int_eq(ep_load_image(&e, "s3.bc", s3, sn, &p, digest, signer, err, sizeof err), -1);
	assert_has(err, "signature does not verify (signed by key ");
	assert_has(err, both);
	free(s3);

	unsigned char *bad = malloc(n);
	memcpy(bad, img, n);
	bad[n - 1] ^= 0x55; /* the checksum no longer matches */
	uint8_t *sb = sign_seed(bad, n, 2, &sn);
	ck_assert_int_eq(ep_load_image(&e, "sb.bc", sb, sn, &p, digest, signer, err, sizeof err), -1);
	assert_has(err, "'sb.bc' refused by the verifier: ");
	free(sb);
	free(bad);

	uint8_t *s2 = sign_seed(img, n, 2, &sn);
	ck_assert_int_eq(ep_load_image(&e, "s2.bc", s2, sn, &p, digest, signer, err, sizeof err), 0);
	ck_assert_str_eq(signer, k2);
	char want[EP_DIGEST_STR];
	ep_sha256_str(img, n, want);
	ck_assert_str_eq(digest, want);
	scope_policy_destroy(p);
	free(s2);
	free(img);
	ep_log_close(e.log);
}
END_TEST

/* The log: no file drops records (and counts as written), a failed write
 * is -1 (and reopening works), closing NULL does nothing. */
START_TEST(log_failures)
{
	ep_log *l;
	ep_log_close(NULL);
	ck_assert(!ep_log_on(NULL));
	json_t *r = ep_log_record("x");
	ck_assert_int_eq(ep_log_records(NULL, &r, 1), 0);

	ck_assert_int_eq(ep_log_open(&l, NULL), 0);
	ck_assert(!ep_log_on(l));
	r = ep_log_record("x");
	ck_assert_int_eq(ep_log_records(l, &r, 1), 0);
	ep_log_close(l);

	ck_assert_int_eq(ep_log_open(&l, "/dev/full"), 0);
	ck_assert(ep_log_on(l));
	json_t *two[2] = { ep_log_record("a"), ep_log_record("b") };
	ck_assert_int_eq(ep_log_records(l, two, 2), -1);
	ck_assert_int_eq(ep_log_reopen(l), 0);
	ep_log_close(l);

	ck_assert_int_eq(ep_log_open(&l, "/proc/no-such-dir/log"), -1);
}
END_TEST

/* A slot whose handle holds no policy yet: pinning fails, and deciding
 * is a deny that says why, with no digest. */
START_TEST(unpublished_slot)
{
	ep_slot s;
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(scope_handle_create(&s.h, NULL), 0);
	ep_pin pin;
	ck_assert_int_eq(ep_slot_pin(&s, &pin), -SCOPE_ENOPOLICY);
	scope_scratch *scr;
	ck_assert_int_eq(scope_scratch_create(&scr), 0);
	scope_request rq = request("read", "forum.a");
	ep_outcome o;
	ep_decide(&s, scr, &rq, &o);
	ck_assert_int_eq(o.r.decision, SCOPE_DENY);
	ck_assert_int_eq(o.r.why, SCOPE_WHY_ERROR);
	char want[256];
	snprintf(want, sizeof want, "error (fail closed: deny): %s", scope_strerror(-SCOPE_ENOPOLICY));
	ck_assert_str_eq(o.explain, want);
	ck_assert_str_eq(o.digest, "none");
	scope_scratch_destroy(scr);
	ep_slot_fini(&s);
	ck_assert_str_eq(ep_decision_name((scope_decision)7), "deny");
	ck_assert_str_eq(ep_why_name((scope_why)9), "error");
}
END_TEST

/* A slot holding POLICY directly (its digest unknown to the slot). */
static void slot_of(ep_slot *s, const char *src)
{
	size_t n;
	unsigned char *img = compile_text(src, &n);
	scope_policy *p;
	ck_assert_int_eq(scope_policy_load(&p, img, n), 0);
	free(img);
	memset(s, 0, sizeof *s);
	ck_assert_int_eq(scope_handle_create(&s->h, p), 0);
}

/* Forms: none formed is EINVAL and a deny; with a shadow candidate and no
 * records wanted, the most restrictive enforced decision still wins; a
 * request's record keeps the first of two equal keys, a NULL value as "". */
START_TEST(forms_and_records)
{
	ep_slot es, cs;
	slot_of(&es, good_src);
	slot_of(&cs, other_src);
	ep_pin pin, cpin;
	ck_assert_int_eq(ep_slot_pin(&es, &pin), 0);
	ck_assert_int_eq(ep_slot_pin(&cs, &cpin), 0);
	ck_assert_str_eq(pin.digest, "unknown");
	scope_scratch *scr;
	ck_assert_int_eq(scope_scratch_create(&scr), 0);
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	ck_assert_int_eq(scope_form_begin(f, "triage", "/"), 0);
	ep_outcome o;
	size_t which = 9;
	ck_assert_int_eq(ep_decide_form(&pin, &cpin, scr, f, NULL, NULL, &o, &which), -SCOPE_EINVAL);
	ck_assert_int_eq(o.r.decision, SCOPE_DENY);
	assert_has(o.explain, "no request was formed");
	ck_assert_uint_eq(which, 0);

	ck_assert_int_eq(scope_form_add(f, "read", "forum.a", 7, SCOPE_RES_TEXT), 0);
	ck_assert_int_eq(scope_form_add(f, "read", "docs.a", 6, SCOPE_RES_TEXT), 0);
	ck_assert_int_eq(ep_decide_form(&pin, &cpin, scr, f, NULL, NULL, &o, &which), 0);
	ck_assert_int_eq(o.r.decision, SCOPE_DENY); /* docs.a: not in the enforced policy */
	ck_assert_uint_eq(which, 1);
	json_t *recs[4] = { NULL };
	ck_assert_int_eq(ep_decide_form(&pin, &cpin, scr, f, NULL, recs, &o, &which), 0);
	ck_assert_ptr_nonnull(recs[0]);
	ck_assert_ptr_null(recs[1]); /* both allow forum.a */
	ck_assert_ptr_nonnull(recs[3]); /* the candidate allows docs.a */
	ck_assert_str_eq(json_string_value(json_object_get(recs[3], "change")), "widen");
	for (int i = 0; i < 4; i++)
		json_decref(recs[i]);
	scope_form_destroy(f);

	scope_attr at[3] = { { "k", 1, NULL, 0 }, { "k", 1, "x", 1 }, { "j", 1, "y", 1 } };
	scope_request rq = request("read", "forum.a");
	rq.attrs = at;
	rq.nattrs = 3;
	json_t *r = ep_request_record("decision", NULL, &rq, NULL);
	json_t *a = json_object_get(r, "attributes");
	ck_assert_uint_eq(json_object_size(a), 2);
	ck_assert_str_eq(json_string_value(json_object_get(a, "k")), "");
	ck_assert_str_eq(json_string_value(json_object_get(a, "j")), "y");
	json_decref(r);

	scope_scratch_destroy(scr);
	ep_slot_unpin(&es, &pin);
	ep_slot_unpin(&cs, &cpin);
	ep_slot_fini(&es);
	ep_slot_fini(&cs);
}
END_TEST

Suite *sc_suite_ep(void)
{
	Suite *s = suite_create("ep");
	TCase *tc = tcase_create("ep");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, source_reloads);
	tcase_add_test(tc, unreadable_policies);
	tcase_add_test(tc, poll_changes);
	tcase_add_test(tc, trusted_keys);
	tcase_add_test(tc, log_failures);
	tcase_add_test(tc, unpublished_slot);
	tcase_add_test(tc, forms_and_records);
	suite_add_tcase(s, tc);
	return s;
}
