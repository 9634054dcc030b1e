/*
 * fuzz_image.c — libFuzzer target for the runtime's verifier and evaluator:
 * hostile bytecode images must be rejected or decided safely (no crash, no
 * out-of-bounds read, no hang).
 *
 * A random byte string almost never passes the checksum, so the input is
 * used two ways: an input that starts with the magic is an image of its own
 * (checksum fixed up); any other input is a list of 4-byte patches
 * (offset:16, value:16) applied to a valid image compiled at start-up from
 * a policy that uses every construct — which reaches the deep checks.  An
 * input whose length is 1 or 3 past a multiple of 4 patches the same
 * policy compiled with a 6-state budget instead, whose parts are mostly
 * bit-parallel NFA records (bytecode.h, "NFA parts").
 */
#include "backend.h"
#include "bytecode.h"
#include "resolve.h"
#include "scope.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *base, *base_nfa;
static size_t base_len, base_nfa_len;
static scope_scratch *scratch;

static const char src[] =
	"let mutating = delete **, config.*\n"
	"task reader allows read forum.**, read docs.**, get \"https://x.com/a/**\"\n"
	"task triage extends reader allows draft forum.*\n"
	"  asks post forum.** when channel == \"internal\" and not has override\n"
	"  denies @mutating, w x*y**z when n >= 2.5 or k in [\"a\", \"b\"] or k like a?b*\n"
	"task * denies ** secrets.**\n"
	"task oncall extends reader allows config.set service.* when ticket matches /^INC-[0-9]+$/i\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "f.scope", src, strlen(src));
	sc_backend_stats st;
	if (!p || sc_backend_compile(&d, p, NULL, &base, &base_len, NULL) < 0 ||
	    sc_backend_compile(&d, p, &(sc_backend_opts){ false, 6 }, &base_nfa, &base_nfa_len, &st) < 0 ||
	    st.nnfa == 0)
		abort();
	sc_policy_free(p);
	sc_diag_fini(&d);
	if (scope_scratch_create(&scratch) < 0)
		abort();
	return 0;
}

static void decide_some(const scope_policy *p)
{
	static const char *const reqs[][3] = {
		{ "triage", "post", "forum.help" }, { "oncall", "config.set", "service.api" },
		{ "reader", "read", "secrets.x" }, { "triage", "w", "xaybz" }, { "nobody", "x", "" },
		{ "triage", "delete", "a/b.c" }, { "reader", "read", "forum.x.y" }, { "oncall", "w", "xy.z" },
	};
	scope_attr at[3] = { { "channel", 7, "internal", 8 }, { "n", 1, "3", 1 }, { "ticket", 6, "inc-7", 5 } };
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		scope_request rq = { reqs[i][0], strlen(reqs[i][0]), reqs[i][1], strlen(reqs[i][1]),
				     reqs[i][2], strlen(reqs[i][2]), at, i % 4 };
		scope_result r;
		if (scope_decide(p, scratch, &rq, &r) < 0 || r.decision > SCOPE_DENY)
			abort();
		char buf[256];
		size_t len = sizeof buf;
		scope_explain(p, &r, buf, &len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *img;
	size_t len;
	if (scope_is_bytecode(data, size)) {
		len = size;
		img = malloc(len ? len : 1);
		memcpy(img, data, len);
	} else {
		const unsigned char *from = size % 4 % 2 ? base_nfa : base;
		len = size % 4 % 2 ? base_nfa_len : base_len;
		img = malloc(len);
		memcpy(img, from, len);
		for (size_t i = 0; i + 4 <= size; i += 4) {
			size_t off = (size_t)(data[i] | data[i + 1] << 8) % len;
			img[off] = data[i + 2];
			if (off + 1 < len)
				img[off + 1] = data[i + 3];
		}
	}
	if (len >= SCOPE_BC_HEADER) {
		uint64_t sum = scope_bc_hash64(img + SCOPE_BC_HEADER, len - SCOPE_BC_HEADER);
		memcpy(img + 24, &sum, 8);
	}
	scope_policy *p;
	if (scope_policy_load(&p, img, len) == 0) {
		decide_some(p);
		scope_policy_destroy(p);
	}
	free(img);
	return 0;
}
