/*
 * cli_compile.c — the commands of the compiled path (SPEC §3):
 *
 *   scopec compile FILE -o OUT [--strip]     bytecode image
 *   scopec disasm FILE                        readable listing of an image
 *
 * Exit status: compile 0, 1 errors, 2 usage/I/O; disasm 0, 2.  `eval` of an
 * image is cli_eval.c's, like that of a source policy.
 */
#include "cli_compile.h"
#include "backend.h"
#include "image.h"
#include "resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_USAGE = 2 };

static int usage(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "scopec %s: ", cmd);
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nTry 'scopec %s --help'.\n", cmd);
	return EXIT_USAGE;
}

bool sc_file_is_bytecode(const char *path)
{
	unsigned char magic[SCOPE_BC_MAGIC_LEN];
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = fread(magic, 1, sizeof magic, f);
	fclose(f);
	return scope_is_bytecode(magic, n);
}

/* ---- compile -------------------------------------------------------------------- */

/* The one help text of each command: `scopec compile --help` and `scopec
 * help compile` (scopec.c's table) used to print two different ones. */
const char sc_compile_usage[] =
	"usage: scopec compile FILE -o OUT [--strip] [--stats] [--max-states=N]\n"
	"  Compiles the policy FILE (with its includes) to verified bytecode.\n"
	"  --strip        omit source locations (FILE:LINE:COL of each item)\n"
	"  --stats        print automaton statistics on stderr\n"
	"  --max-states=N state budget of one DFA before it is split\n"
	"  exit: 0, 1 errors in the policy, 2 usage or I/O\n";

static int write_file(const char *path, const unsigned char *img, size_t len)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	if (!tmp)
		sc_fatal_oom();
	snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	int rc = 0;
	if (!f || fwrite(img, 1, len, f) != len || fflush(f) != 0)
		rc = -1;
	if (f && fclose(f) != 0)
		rc = -1;
	/* rename: readers of OUT see the old image or the new one, never half */
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc < 0) {
		fprintf(stderr, "scopec compile: cannot write '%s': %s\n", path, strerror(errno));
		remove(tmp);
	}
	free(tmp);
	return rc;
}

int sc_cmd_compile(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	sc_backend_opts o = { false, 0 };
	bool stats = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(sc_compile_usage, stdout);
			return 0;
		} else if (strcmp(a, "--strip") == 0) {
			o.strip = true;
		} else if (strcmp(a, "--stats") == 0) {
			stats = true;
		} else if (strncmp(a, "--max-states=", 13) == 0) {
			char *end;
			unsigned long v = strtoul(a + 13, &end, 10);
			if (*end || v < 16 || v > (1ul << 24))
				return usage("compile", "bad value in '%s' (16..16777216)", a);
			o.max_states = (uint32_t)v;
		} else if (strcmp(a, "-o") == 0) {
			if (++i == argc)
				return usage("compile", "%s", "-o needs a file name");
			out = argv[i];
		} else if (strncmp(a, "-o", 2) == 0 && a[2]) {
			out = a + 2;
		} else if (a[0] == '-' && a[1]) {
			return usage("compile", "unknown option '%s'", a);
		} else if (in) {
			return usage("compile", "%s", "exactly one policy file");
		} else {
			in = a;
		}
	}
	if (!in)
		return usage("compile", "%s", "no policy file given");
	if (!out)
		return usage("compile", "%s", "no output file given (-o OUT)");
	FILE *f = fopen(in, "rb");
	if (!f) {
		fprintf(stderr, "scopec: cannot open '%s': %s\n", in, strerror(errno));
		return EXIT_USAGE;
	}
	fclose(f);
	sc_diag d;
	sc_diag_init(&d, stderr);
	const char *paths[1] = { in };
	sc_policy *p = sc_resolve_files(&d, paths, 1);
	int status = 1;
	if (p) {
		unsigned char *img;
		size_t len;
		sc_backend_stats st;
		if (sc_backend_compile(&d, p, &o, &img, &len, &st) == 0) {
			status = write_file(out, img, len) == 0 ? 0 : EXIT_USAGE;
			char nfa[48] = "";
			if (st.nnfa) /* bit-parallel parts (nfa.c): worth knowing */
				snprintf(nfa, sizeof nfa, ", %u of them NFA", st.nnfa);
			if (stats)
				fprintf(stderr,
					"%s: %u items, %u tasks, %u programs in %u parts (max %u a task%s), "
					"%llu DFA states (%llu before minimization), %llu records, %zu bytes\n",
					out, p->nitems, st.ntasks, st.ngroups, st.nparts, st.max_parts,
					nfa,
					(unsigned long long)st.states, (unsigned long long)st.raw_states,
					(unsigned long long)st.records, len);
			free(img);
		}
	}
	sc_policy_free(p);
	sc_diag_fini(&d);
	return status;
}

/* ---- disasm -------------------------------------------------------------------- */

const char sc_disasm_usage[] =
	"usage: scopec disasm FILE\n"
	"  Verifies the bytecode FILE and lists its sections, tasks, items,\n"
	"  automata (every state), outcomes, condition code and regexes.\n"
	"  exit: 0, 2 unreadable or not a valid image\n";

static void put_bytes(FILE *o, const char *s, size_t n)
{
	sc_fput_quoted(o, (sc_str){ s, n });
}

static void put_string(FILE *o, const scope_policy *p, uint32_t idx)
{
	uint32_t n;
	const char *s = scope_str(p, idx, &n);
	put_bytes(o, s, n);
}

static void put_payload(FILE *o, uint32_t phase, uint32_t pl)
{
	switch (phase) {
	case SCOPE_PH_TASK: if (pl) fprintf(o, " -> task %u", pl - 1); break;
	case SCOPE_PH_ACTION: if (pl) fprintf(o, " SEP-> S%u", SCOPE_REF_OFF(pl)); break;
	case SCOPE_PH_RESOURCE:
		if (pl & SCOPE_BC_ONE_ITEM)
			fprintf(o, " => item #%u", pl & ~SCOPE_BC_ONE_ITEM);
		else if (pl)
			fprintf(o, " => outcome @%u", pl);
		break;
	default: if (pl) fputs(" accept", o); break;
	}
}

/* An NFA part (bytecode.h): its sizes and its items, not its bit tables. */
static void disasm_nfa(FILE *o, const scope_policy *p, uint32_t i, const uint32_t *a)
{
	const uint32_t *r = SC_NFA(p) + a[2];
	scope_bc_nfa g = scope_bc_nfa_at(r);
	fprintf(o, "A%u NFA  record @%u  %u items (%u deny, %u ask)  action %u words  resource %u words  %u classes\n",
		i, a[2], g.m, g.nd, g.na, g.wa, g.wr, g.k);
	for (uint32_t k = 0; k < g.m; k++) {
		const uint32_t *e = r + g.items + 3 * (size_t)k;
		fprintf(o, "  item #%u  final bits %u %u\n", e[0], e[1], e[2]);
	}
}

static void disasm_automaton(FILE *o, const scope_policy *p, uint32_t i)
{
	static const char *const kinds[] = { "TASKS", "POLICY", "VALUE" }; /* (NFA: disasm_nfa) */
	const uint32_t *a = SC_AUTOMATA(p) + (size_t)i * SCOPE_BC_AUTOMATON_WORDS;
	if (a[0] == SCOPE_BC_A_NFA) {
		disasm_nfa(o, p, i, a);
		return;
	}
	const uint32_t *cm = SC_CMAPS(p) + (size_t)a[1] * SCOPE_BC_CMAP_WORDS;
	fprintf(o, "A%u %s  cmap %u (%u classes)  start S%u  states [%u, %u)\n", i, kinds[a[0]], a[1],
		cm[0], SCOPE_REF_OFF(a[2]), a[3], a[4]);
	const uint32_t *st = SC_STATES(p);
	for (uint32_t pos = a[3]; pos < a[4];) {
		const uint32_t *r = st + pos;
		uint32_t type = SCOPE_ST_TYPE(r[0]), ph = SCOPE_ST_PHASE(r[0]), n = SCOPE_ST_N(r[0]);
		fprintf(o, "  S%-6u %-8s %-8s", pos, scope_bc_state_type_names[type], scope_bc_phase_names[ph]);
		uint32_t size = 2, payload = r[1];
		switch (type) {
		case SCOPE_ST_SINK: fputs(" (any byte: stay)", o); break;
		case SCOPE_ST_DENSE:
			fputs(" class->", o);
			for (uint32_t c = 0; c < cm[0]; c++)
				fprintf(o, " S%u", SCOPE_REF_OFF(r[2 + c]));
			size = 2 + cm[0];
			break;
		case SCOPE_ST_SPARSE: {
			const uint8_t *keys = (const uint8_t *)(r + 3);
			for (uint32_t k = 0; k < n; k++) {
				fputc(' ', o);
				put_bytes(o, (const char *)keys + k, 1);
				fprintf(o, "->S%u", SCOPE_REF_OFF(r[3 + (n + 3) / 4 + k]));
			}
			fprintf(o, " else S%u", SCOPE_REF_OFF(r[2]));
			size = 3 + (n + 3) / 4 + n;
			break;
		}
		default: {
			scope_bc_literal l = scope_bc_literal_at(r, pos);
			fputc(' ', o);
			put_bytes(o, (const char *)l.bytes, n);
			fprintf(o, " -> S%u else S%u", SCOPE_REF_OFF(l.next), SCOPE_REF_OFF(l.fail));
			if (n > 1 && l.inside) {
				fputs(" (inside:", o);
				put_payload(o, ph, l.inside);
				fputc(')', o);
			}
			size = l.words;
			payload = l.payload;
			break;
		}
		}
		put_payload(o, ph, payload);
		fputc('\n', o);
		pos += size;
	}
}

static void disasm_code(FILE *o, const scope_policy *p)
{
	static const char operand[SCOPE_OP_COUNT][2] = {
#define SCOPE_X(name, pops, pushes, a, b) { a, b },
		SCOPE_BC_OPS(SCOPE_X)
#undef SCOPE_X
	};
	const uint32_t *code = SC_CODE(p);
	for (uint32_t pc = 0; pc < SC_NCODE(p); pc += 2) {
		uint32_t op = SCOPE_OP_CODE(code[pc]), a = SCOPE_OP_A(code[pc]), b = code[pc + 1];
		fprintf(o, "  @%-5u %-5s", pc, scope_bc_op_names[op]);
		for (int k = 0; k < 2; k++) {
			uint32_t x = k ? b : a;
			switch (operand[op][k]) {
			case 'K': case 'S': case 'N': fputc(' ', o); put_string(o, p, x); break;
			case 'V': fprintf(o, " A%u", x); break;
			case 'R': fprintf(o, " regex %u", x); break;
			case 'J': fprintf(o, " @%u", x); break;
			default: break;
			}
		}
		fputc('\n', o);
	}
}

static void disasm(FILE *o, const scope_policy *p)
{
	static const char *const kinds[] = { "allow", "ask  ", "deny " };
	fprintf(o, "scope bytecode v%u, %zu bytes, %s\n", p->version, p->len,
		p->flags & SCOPE_BC_F_DEBUG ? "with source locations" : "stripped");
	fputs("sections:\n", o);
	const unsigned char *img = (const unsigned char *)p->img;
	for (uint32_t id = 1; id <= SCOPE_SEC_MAX; id++) {
		if (!p->sec[id].b)
			continue;
		fprintf(o, "  %-12s offset %-8zu entries %u\n", scope_bc_section_names[id],
			(size_t)(p->sec[id].b - img), p->sec[id].n);
	}
	fprintf(o, "tasks (%u):\n", SC_NTASKS(p));
	for (uint32_t i = 0; i < SC_NTASKS(p); i++) {
		const uint32_t *t = SC_TASKS(p) + (size_t)i * SCOPE_BC_TASK_WORDS;
		fprintf(o, "  task %u ", i);
		put_string(o, p, t[0]);
		fprintf(o, ": automata A%u..A%u (%u part%s)\n", t[1], t[1] + t[2] - (t[2] > 0), t[2],
			t[2] == 1 ? "" : "s");
	}
	fprintf(o, "items (%u):\n", SC_NITEMS(p));
	for (uint32_t i = 0; i < SC_NITEMS(p); i++) {
		scope_item_info info;
		scope_policy_item(p, i, &info);
		uint32_t c = SC_ITEMS(p)[i] & SCOPE_BC_NO_COND;
		fprintf(o, "  #%-5u %s", i, kinds[info.kind]);
		if (c != SCOPE_BC_NO_COND)
			fprintf(o, " when @%u", c);
		if (info.has_location)
			fprintf(o, "  %s:%u:%u: %s", info.file, info.line, info.col, info.text);
		fputc('\n', o);
	}
	fputs("automata:\n", o);
	for (uint32_t i = 0; i < SC_NAUTOMATA(p); i++)
		disasm_automaton(o, p, i);
	fputs("outcomes (deny | ask | allow, each in the order tried):\n", o);
	const uint32_t *oc = SC_OUTCOMES(p);
	for (uint32_t pos = 3; pos < SC_NOUTCOMES(p);) {
		fprintf(o, "  @%-6u", pos);
		const uint32_t *ids = oc + pos + 3;
		for (int l = 0; l < 3; l++) {
			fputs(l ? " |" : "", o);
			for (uint32_t k = 0; k < oc[pos + l]; k++)
				fprintf(o, " #%u", *ids++);
		}
		fputc('\n', o);
		pos += 3 + oc[pos] + oc[pos + 1] + oc[pos + 2];
	}
	fputs("condition code:\n", o);
	disasm_code(o, p);
	fprintf(o, "regexes (%u):\n", SC_NREGEX(p));
	for (uint32_t i = 0; i < SC_NREGEX(p); i++) {
		const uint32_t *r = SC_REGEXES(p) + 2 * (size_t)i;
		fprintf(o, "  regex %u /", i);
		uint32_t n;
		const char *s = scope_str(p, r[0], &n);
		fwrite(s, 1, n, o);
		fprintf(o, "/%s\n", r[1] & 1 ? "i" : "");
	}
}

static int read_all(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = malloc(cap);
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			unsigned char *nb = cap < SCOPE_BC_MAX_IMAGE ? realloc(b, cap * 2) : NULL;
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	int err = ferror(f);
	fclose(f);
	if (!b || err) {
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

int sc_cmd_disasm(int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(sc_disasm_usage, stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return usage("disasm", "unknown option '%s'", argv[i]);
		if (path)
			return usage("disasm", "%s", "exactly one bytecode file");
		path = argv[i];
	}
	if (!path)
		return usage("disasm", "%s", "no bytecode file given");
	unsigned char *img;
	size_t len;
	if (read_all(path, &img, &len) < 0) {
		fprintf(stderr, "scopec: cannot read '%s': %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	scope_policy *p;
	const char *why = NULL;
	int rc = scope_policy_load_unverified_regex(&p, img, len, &why);
	free(img);
	if (rc < 0) {
		fprintf(stderr, "scopec disasm: %s: %s%s%s\n", path, scope_strerror(rc), why ? ": " : "",
			why ? why : "");
		return EXIT_USAGE;
	}
	disasm(stdout, p);
	scope_policy_destroy(p);
	return 0;
}
