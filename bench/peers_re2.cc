// peers_re2.cc — the RE2::Set peer of bench/peers.c, behind a C interface.
//
// One set per task, anchored at both ends, over the bytes `action\x1fresource`
// (Latin-1, so that every byte is one character, and `.` matches newlines).
// Each pattern's index maps to its item kind (0 allow, 1 ask, 2 deny).
#include <re2/re2.h>
#include <re2/set.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#include "peers_re2.h"

struct peers_re2 {
	RE2::Set set;
	std::vector<unsigned char> kinds;
	std::vector<int> hits; // reused by every match: no allocation once grown
	explicit peers_re2(const RE2::Options &o) : set(o, RE2::ANCHOR_BOTH) {}
};

extern "C" peers_re2 *peers_re2_new(const char *const *patterns, const unsigned char *kinds, size_t n,
				    char *err, size_t errlen)
{
	RE2::Options o;
	o.set_encoding(RE2::Options::EncodingLatin1);
	o.set_dot_nl(true);
	o.set_case_sensitive(true);
	o.set_log_errors(false);
	o.set_max_mem(int64_t(1) << 30); // a budget, not an allocation: the DFA cache may grow to it
	peers_re2 *r = new (std::nothrow) peers_re2(o);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return nullptr;
	}
	for (size_t i = 0; i < n; i++) {
		std::string e;
		if (r->set.Add(patterns[i], &e) < 0) {
			snprintf(err, errlen, "pattern %zu /%s/: %s", i, patterns[i], e.c_str());
			delete r;
			return nullptr;
		}
		r->kinds.push_back(kinds[i]);
	}
	if (!r->set.Compile()) {
		snprintf(err, errlen, "RE2::Set::Compile failed (%zu patterns)", n);
		delete r;
		return nullptr;
	}
	r->hits.reserve(n);
	return r;
}

// 0 allow, 1 ask, 2 deny (also for no match: default deny); -1 if the DFA
// ran out of memory (the caller aborts: the result would be wrong).
extern "C" int peers_re2_decide(peers_re2 *r, const char *s, size_t n)
{
	RE2::Set::ErrorInfo ei;
	if (!r->set.Match(re2::StringPiece(s, n), &r->hits, &ei))
		return ei.kind == RE2::Set::kNoError ? 2 : -1;
	int best = -1;
	for (int i : r->hits) {
		int k = r->kinds[size_t(i)];
		if (k == 2)
			return 2;
		if (k > best)
			best = k;
	}
	return best < 0 ? 2 : best;
}

extern "C" void peers_re2_free(peers_re2 *r)
{
	delete r;
}
