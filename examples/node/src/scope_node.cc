// scope_node.cc — the native half of the Node binding of libscope
// (examples/node/index.js is the other half and the public API).
//
// Objects:
//   NativePolicy  one loaded, verified scope_policy (owned; close() frees it)
//   NativeHandle  a reference to a process-wide scope_handle (hot swap); any
//                 number of NativeHandles, in any worker thread, may share
//                 one: they find it by id in a registry of weak references.
//
// Per addon instance (i.e. per thread: the main thread and every worker load
// their own instance) there is one scope_scratch, one scope_form, one string
// arena and one small result array shared with JS: deciding allocates
// nothing once the arena has grown to the size of the requests seen.
//
// Deciding never throws: every failure is a deny result with an error code
// (result slot R_ERR) and the message as the returned string.  The order is
// always: copy every input out of JS first (that may run user code: getters,
// proxies), then take the policy, then decide with no JS in between, so a
// getter that closes the policy or swaps the handle cannot pull the policy
// from under the decision.

#include <napi.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

extern "C" {
#include "scope.h"
#include "scope_enforce.h"
}

namespace {

// Slots of the result array (a Uint32Array over native memory).
enum : size_t {
	R_DECISION = 0,  // scope_decision
	R_WHY = 1,       // scope_why
	R_ITEM = 2,      // item or SCOPE_NO_ITEM
	R_UNKNOWN = 3,   // 0/1
	R_ERR = 4,       // 0 or a positive SCOPE_E code (or E_BINDING)
	R_WHICH = 5,     // decideToolCall: index of the deciding request
	R_COUNT = 6,     // decideToolCall: number of requests formed
	R_SLOTS = 8,
};

// Binding errors that are not library errors are reported as SCOPE_EINVAL
// (a malformed request) with a message saying what was wrong.
constexpr size_t MAX_REQUEST_BYTES = size_t(64) << 20;  // all strings of one request
constexpr size_t MAX_ATTRS = 1024;                       // as the gateway and the form
constexpr size_t MAX_ARGS = 9;                           // decide(t, a, r, k1, v1, .. k3, v3)
constexpr size_t ARENA_KEEP = size_t(1) << 20;           // shrink back above this

struct Fail {
	int code;  // positive SCOPE_E code
	std::string msg;
};

struct Span {
	size_t off, len;
};

struct Addon;

// ---- the process-wide registry of shared handles -------------------------

// ---- trusted keys (signed images, `scopec sign`) ---------------------------

constexpr size_t kMaxTrusted = 16;  // as the services' --trusted-key

struct Keyset {
	size_t n = 0;
	unsigned char k[kMaxTrusted][SCOPE_ED25519_KEY_LEN];
};

struct SharedHandle {
	scope_handle *h = nullptr;
	uint32_t id = 0;
	Keyset keys;  // set before the handle is registered, never changed
	// Bumped by every swap of this binding before it publishes the new
	// policy; readers pair it with the policy pointer to key their caches
	// (a pointer alone could be reused by a later policy).
	std::atomic<uint64_t> gen{1};
	~SharedHandle() { scope_handle_destroy(h); }
};

std::mutex g_registry_mu;
std::unordered_map<uint32_t, std::weak_ptr<SharedHandle>> g_registry;
uint32_t g_next_id = 1;

std::shared_ptr<SharedHandle> registry_find(uint32_t id)
{
	std::lock_guard<std::mutex> lk(g_registry_mu);
	auto it = g_registry.find(id);
	if (it == g_registry.end())
		return nullptr;
	auto sp = it->second.lock();
	if (!sp)
		g_registry.erase(it);
	return sp;
}

std::shared_ptr<SharedHandle> registry_new(scope_handle *h, const Keyset &keys)
{
	auto sp = std::shared_ptr<SharedHandle>(new SharedHandle, [](SharedHandle *s) {
		{
			std::lock_guard<std::mutex> lk(g_registry_mu);
			auto it = g_registry.find(s->id);
			if (it != g_registry.end() && it->second.expired())
				g_registry.erase(it);
		}
		delete s;
	});
	sp->h = h;
	sp->keys = keys;
	std::lock_guard<std::mutex> lk(g_registry_mu);
	do
		sp->id = g_next_id++;
	while (sp->id == 0 || g_registry.count(sp->id));
	g_registry[sp->id] = sp;
	return sp;
}

// ---- per-instance state ----------------------------------------------------

struct Addon {
	scope_scratch *scratch = nullptr;
	scope_form *form = nullptr;
	std::vector<char> arena;
	std::vector<char16_t> u16;  // one string as JS holds it
	size_t used = 0;
	std::vector<Span> keys, vals;
	std::vector<scope_attr> attrs;
	std::vector<char> text;  // explanations
	uint32_t *res = nullptr; // R_SLOTS slots, shared with JS
	Napi::Reference<Napi::ArrayBuffer> res_buf;
	Napi::FunctionReference error_ctor;  // index.js's ScopeError
	Napi::FunctionReference policy_ctor, handle_ctor;
	bool busy = false;

	Addon() : arena(64 * 1024), u16(16 * 1024), text(1024) {}
	~Addon()
	{
		scope_form_destroy(form);
		scope_scratch_destroy(scratch);
	}

	void reset()
	{
		used = 0;
		if (arena.size() > ARENA_KEEP)
			std::vector<char>(64 * 1024).swap(arena);
		if (u16.size() > ARENA_KEEP)
			std::vector<char16_t>(16 * 1024).swap(u16);
	}

	// Copies the JS string V into the arena as UTF-8 (NUL-terminated).  The
	// text is taken as UTF-16 and encoded here (V8's own UTF-8 writer is
	// slower for the short strings of a request): a NUL byte or a lone
	// surrogate (text UTF-8 cannot carry) fails.
	void copy(napi_env env, napi_value v, const char *what, Span *out)
	{
		size_t n = 0;
		napi_status st = napi_get_value_string_utf16(env, v, u16.data(), u16.size(), &n);
		if (st == napi_string_expected)
			throw Fail{SCOPE_EINVAL, std::string(what) + " must be a string"};
		if (st != napi_ok)
			throw Fail{SCOPE_EINVAL, std::string("cannot read ") + what};
		if (n + 1 >= u16.size()) {  // maybe cut
			size_t full = 0;
			if (napi_get_value_string_utf16(env, v, nullptr, 0, &full) != napi_ok)
				throw Fail{SCOPE_EINVAL, std::string("cannot read ") + what};
			if (full > n) {
				if (full > MAX_REQUEST_BYTES / 3)
					throw Fail{SCOPE_EINVAL, "request too large (more than 64 MiB of text)"};
				u16.resize(full + 1);
				if (napi_get_value_string_utf16(env, v, u16.data(), u16.size(), &n) != napi_ok || n != full)
					throw Fail{SCOPE_EINVAL, std::string("cannot read ") + what};
			}
		}
		if (used + 3 * n + 1 > MAX_REQUEST_BYTES)
			throw Fail{SCOPE_EINVAL, "request too large (more than 64 MiB of text)"};
		if (arena.size() - used < 3 * n + 1)
			grow(used + 3 * n + 1);
		const char16_t *in = u16.data();
		unsigned char *o = reinterpret_cast<unsigned char *>(arena.data() + used);
		unsigned char *start = o;
		for (size_t i = 0; i < n; i++) {
			uint32_t c = in[i];
			if (c < 0x80) {
				if (c == 0)
					throw Fail{SCOPE_EINVAL, std::string(what) + " contains a NUL byte"};
				*o++ = static_cast<unsigned char>(c);
			} else if (c < 0x800) {
				*o++ = static_cast<unsigned char>(0xC0 | (c >> 6));
				*o++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
			} else if (c >= 0xD800 && c <= 0xDFFF) {
				uint32_t d = i + 1 < n ? in[i + 1] : 0;
				if (c > 0xDBFF || d < 0xDC00 || d > 0xDFFF)
					throw Fail{SCOPE_EINVAL, std::string(what) + " is not well-formed Unicode (a lone surrogate)"};
				i++;
				uint32_t cp = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
				*o++ = static_cast<unsigned char>(0xF0 | (cp >> 18));
				*o++ = static_cast<unsigned char>(0x80 | ((cp >> 12) & 0x3F));
				*o++ = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
				*o++ = static_cast<unsigned char>(0x80 | (cp & 0x3F));
			} else {
				*o++ = static_cast<unsigned char>(0xE0 | (c >> 12));
				*o++ = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
				*o++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
			}
		}
		*o = 0;
		size_t len = static_cast<size_t>(o - start);
		*out = Span{used, len};
		used += len + 1;
	}

	void copy_bytes(const char *s, size_t n, Span *out)
	{
		if (used + n + 1 > MAX_REQUEST_BYTES)
			throw Fail{SCOPE_EINVAL, "request too large (more than 64 MiB of text)"};
		if (arena.size() - used < n + 1)
			grow(used + n + 1);
		std::memcpy(arena.data() + used, s, n);
		arena[used + n] = '\0';
		*out = Span{used, n};
		used += n + 1;
	}

	void grow(size_t need)
	{
		size_t n = arena.size() ? arena.size() : 64;
		while (n < need)
			n *= 2;
		arena.resize(n);
	}

	const char *at(Span s) const { return arena.data() + s.off; }

	// Context as index.js passes it: undefined, or a flat array [key,
	// value, key, value, ...] of the own enumerable members (read once, in
	// JS, so that no getter runs in here).  Keys are non-empty strings;
	// values strings, finite numbers, bigints (as JS prints them) or
	// booleans ("true"/"false"); anything else fails.
	void copy_context(napi_env env, napi_value ctx)
	{
		keys.clear();
		vals.clear();
		napi_valuetype t;
		if (napi_typeof(env, ctx, &t) != napi_ok)
			throw Fail{SCOPE_EINVAL, "cannot read context"};
		if (t == napi_undefined || t == napi_null)
			return;
		bool is_array = false;
		napi_is_array(env, ctx, &is_array);
		if (!is_array)
			throw Fail{SCOPE_EINVAL, "context must be a plain object of scalar values"};
		uint32_t n = 0;
		napi_get_array_length(env, ctx, &n);
		if (n % 2)
			throw Fail{SCOPE_EINVAL, "context: odd key/value list"};
		if (n / 2 > MAX_ATTRS)
			throw Fail{SCOPE_EINVAL, "context has more than 1024 attributes"};
		for (uint32_t i = 0; i < n; i += 2) {
			napi_value k, v;
			if (napi_get_element(env, ctx, i, &k) != napi_ok || napi_get_element(env, ctx, i + 1, &v) != napi_ok)
				throw Fail{SCOPE_EINVAL, "cannot read the context"};
			copy_attr(env, k, v);
		}
	}

	void copy_attr(napi_env env, napi_value k, napi_value v)
	{
		Span ks;
		copy(env, k, "context key", &ks);
		if (ks.len == 0)
			throw Fail{SCOPE_EINVAL, "empty context key"};
		napi_valuetype vt;
		napi_typeof(env, v, &vt);
		Span vs;
		switch (vt) {
		case napi_string:
			copy(env, v, "context value", &vs);
			break;
		case napi_number: {
			double d = 0;
			napi_get_value_double(env, v, &d);
			if (!(d - d == 0))  // NaN or infinite
				throw Fail{SCOPE_EINVAL, "context value '" + std::string(at(ks)) + "' is not a finite number"};
			napi_value s;
			if (napi_coerce_to_string(env, v, &s) != napi_ok)
				throw Fail{SCOPE_EINVAL, "cannot read context value"};
			copy(env, s, "context value", &vs);
			break;
		}
		case napi_bigint: {
			napi_value s;
			if (napi_coerce_to_string(env, v, &s) != napi_ok)
				throw Fail{SCOPE_EINVAL, "cannot read context value"};
			copy(env, s, "context value", &vs);
			break;
		}
		case napi_boolean: {
			bool b = false;
			napi_get_value_bool(env, v, &b);
			copy_bytes(b ? "true" : "false", b ? 4 : 5, &vs);
			break;
		}
		default:
			throw Fail{SCOPE_EINVAL, "context value '" + std::string(at(ks)) +
							 "' must be a string, number or boolean"};
		}
		keys.push_back(ks);
		vals.push_back(vs);
	}

	void build_attrs()
	{
		attrs.resize(keys.size());
		for (size_t i = 0; i < keys.size(); i++)
			attrs[i] = scope_attr{at(keys[i]), keys[i].len, at(vals[i]), vals[i].len};
	}

	void result(const scope_result &r, int err)
	{
		res[R_DECISION] = static_cast<uint32_t>(r.decision);
		res[R_WHY] = static_cast<uint32_t>(r.why);
		res[R_ITEM] = r.item;
		res[R_UNKNOWN] = r.unknown ? 1 : 0;
		res[R_ERR] = static_cast<uint32_t>(err);
	}

	void deny(int err)
	{
		scope_result r{SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false};
		result(r, err);
		res[R_WHICH] = 0;
		res[R_COUNT] = 0;
	}

	// The explanation line of R (the attribute behind an unknown condition
	// too), as a JS string.
	napi_value explain(napi_env env, const scope_policy *p, const scope_request *rq, const scope_result &r)
	{
		for (;;) {
			size_t len = text.size();
			int rc = r.unknown && rq ? scope_explain_request(p, scratch, rq, &r, text.data(), &len)
						 : scope_explain(p, &r, text.data(), &len);
			if (rc == -SCOPE_ENOSPC && text.size() < (size_t(1) << 24)) {
				text.resize(text.size() * 4);
				continue;
			}
			if (rc < 0 && rc != -SCOPE_ENOSPC)
				len = 0;
			napi_value s;
			napi_create_string_utf8(env, text.data(), len, &s);
			if (text.size() > ARENA_KEEP)
				std::vector<char>(1024).swap(text);
			return s;
		}
	}
};

// RAII: one decision at a time per instance (a getter of the request that
// decides again would otherwise reuse the arena under us).
struct Busy {
	Addon *a;
	bool ok;
	explicit Busy(Addon *a_) : a(a_), ok(!a_->busy)
	{
		if (ok) {
			a->busy = true;
			a->reset();
		}
	}
	~Busy()
	{
		if (ok) {
			a->busy = false;
			a->reset();
		}
	}
};

Addon *addon_of(napi_env env)
{
	void *d = nullptr;
	if (napi_get_instance_data(env, &d) != napi_ok)
		return nullptr;
	return static_cast<Addon *>(d);
}

std::string errtext(int code)
{
	return scope_strerror(-code);
}

// Throws index.js's ScopeError(code, message) (a plain Error before init).
[[noreturn]] void throw_scope(Napi::Env env, int rc, const std::string &detail)
{
	int code = rc < 0 ? -rc : rc;
	std::string msg = errtext(code);
	if (!detail.empty())
		msg += ": " + detail;
	Addon *a = addon_of(env);
	if (a && !a->error_ctor.IsEmpty()) {
		Napi::Object e = a->error_ctor.New({Napi::Number::New(env, code), Napi::String::New(env, msg)});
		throw Napi::Error(env, e);
	}
	throw Napi::Error::New(env, msg);
}

// The bytes of a Buffer / TypedArray / ArrayBuffer / DataView.
bool bytes_of(Napi::Value v, const void **data, size_t *len)
{
	napi_env env = v.Env();
	napi_value raw = v;
	bool is = false;
	if (napi_is_buffer(env, raw, &is) == napi_ok && is) {
		void *d;
		if (napi_get_buffer_info(env, raw, &d, len) != napi_ok)
			return false;
		*data = d;
		return true;
	}
	if (napi_is_typedarray(env, raw, &is) == napi_ok && is) {
		napi_typedarray_type t;
		size_t n;
		void *d;
		napi_value ab;
		size_t off;
		if (napi_get_typedarray_info(env, raw, &t, &n, &d, &ab, &off) != napi_ok)
			return false;
		size_t esz = 1;
		switch (t) {
		case napi_int16_array: case napi_uint16_array: esz = 2; break;
		case napi_int32_array: case napi_uint32_array: case napi_float32_array: esz = 4; break;
		case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: esz = 8; break;
		default: esz = 1;
		}
		*data = d;
		*len = n * esz;
		return true;
	}
	if (napi_is_dataview(env, raw, &is) == napi_ok && is) {
		size_t n, off;
		void *d;
		napi_value ab;
		if (napi_get_dataview_info(env, raw, &n, &d, &ab, &off) != napi_ok)
			return false;
		*data = d;
		*len = n;
		return true;
	}
	if (napi_is_arraybuffer(env, raw, &is) == napi_ok && is) {
		void *d;
		if (napi_get_arraybuffer_info(env, raw, &d, len) != napi_ok)
			return false;
		*data = d;
		return true;
	}
	return false;
}

std::string string_arg(const Napi::CallbackInfo &info, size_t i, const char *what)
{
	if (info.Length() <= i || !info[i].IsString())
		throw_scope(info.Env(), SCOPE_EINVAL, std::string(what) + " must be a string");
	std::string s = info[i].As<Napi::String>().Utf8Value();
	if (s.find('\0') != std::string::npos)
		throw_scope(info.Env(), SCOPE_EINVAL, std::string(what) + " contains a NUL byte");
	return s;
}

// The trusted keys of argument I (undefined/null: none; else an array of
// key file paths or PEM bytes).  An empty array throws rather than meaning
// "no check": a key list that came out empty must not turn verification off.
Keyset keys_arg(const Napi::CallbackInfo &info, size_t i)
{
	Napi::Env env = info.Env();
	Keyset ks;
	if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull())
		return ks;
	if (!info[i].IsArray())
		throw_scope(env, SCOPE_EKEY, "trustedKeys is an array of key file paths or PEM buffers");
	Napi::Array a = info[i].As<Napi::Array>();
	if (a.Length() == 0)
		throw_scope(env, SCOPE_EKEY, "trustedKeys is empty: give at least one key, or none for no check");
	if (a.Length() > kMaxTrusted)
		throw_scope(env, SCOPE_EKEY, "at most " + std::to_string(kMaxTrusted) + " trusted keys");
	for (uint32_t j = 0; j < a.Length(); j++) {
		Napi::Value v = a.Get(j);
		const void *data = nullptr;
		size_t len = 0;
		int rc;
		std::string what = "trusted key " + std::to_string(j);
		if (v.IsString()) {
			std::string path = v.As<Napi::String>().Utf8Value();
			if (path.find('\0') != std::string::npos)
				throw_scope(env, SCOPE_EKEY, what + ": the path contains a NUL byte");
			rc = scope_key_read_public(path.c_str(), ks.k[ks.n]);
			what += " '" + path + "'";
		} else if (bytes_of(v, &data, &len)) {
			rc = scope_key_parse_public(static_cast<const char *>(data), len, ks.k[ks.n]);
		} else {
			throw_scope(env, SCOPE_EKEY, what + ": a key file path or PEM bytes");
		}
		if (rc < 0)
			throw_scope(env, rc, what);
		ks.n++;
	}
	return ks;
}

// The policy of argument 0 (a path or bytes), signed by one of KS's keys if
// it has any (*WHICH: that key's index, else -1).
scope_policy *load_value(const Napi::CallbackInfo &info, const Keyset &ks, int *which)
{
	Napi::Env env = info.Env();
	scope_policy *p = nullptr;
	*which = -1;
	if (info.Length() < 1)
		throw_scope(env, SCOPE_EINVAL, "a policy is loaded from a path or a buffer");
	if (info[0].IsString()) {
		std::string path = string_arg(info, 0, "policy path");
		size_t k = 0;
		int rc = ks.n ? scope_policy_load_file_signed_any(&p, path.c_str(), ks.k, ks.n, &k)
			      : scope_policy_load_file(&p, path.c_str());
		if (rc == 0 && ks.n)
			*which = static_cast<int>(k);
		if (rc < 0) {
			std::string d = path;
			if (rc == -SCOPE_EFORMAT && path.size() > 6 && path.compare(path.size() - 6, 6, ".scope") == 0)
				d += " (a policy source: compile it with `scopec compile`)";
			throw_scope(env, rc, d);
		}
		return p;
	}
	const void *data = nullptr;
	size_t len = 0;
	if (!bytes_of(info[0], &data, &len))
		throw_scope(env, SCOPE_EINVAL, "a policy is loaded from a path (string) or bytes (Buffer, Uint8Array)");
	size_t k = 0;
	int rc = ks.n ? scope_policy_load_signed_any(&p, data, len, ks.k, ks.n, &k) : scope_policy_load(&p, data, len);
	if (rc == 0 && ks.n)
		*which = static_cast<int>(k);
	if (rc < 0)
		throw_scope(env, rc, std::to_string(len) + "-byte image");
	return p;
}

napi_value deny_string(napi_env env, Addon *a, int code, const char *msg)
{
	a->deny(code);
	napi_value s;
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &s);
	return s;
}

napi_value deny_pair(napi_env env, Addon *a, int code, const char *msg)
{
	a->deny(code);
	napi_value arr, s1, s2;
	napi_create_array_with_length(env, 2, &arr);
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &s1);
	napi_create_string_utf8(env, "", 0, &s2);
	napi_set_element(env, arr, 0, s1);
	napi_set_element(env, arr, 1, s2);
	return arr;
}

// ---- the deciding core -----------------------------------------------------

// The explanation lines already made for one policy, as a JS array indexed
// by item (this thread's strings: a box lives in one thread).  KEY/GEN say
// which policy they belong to; a handle's policy changes with each swap.
struct ExplainCache {
	napi_env env = nullptr;
	napi_ref arr = nullptr;
	const scope_policy *p = nullptr;
	uint64_t gen = 0;

	void drop()
	{
		if (arr)
			napi_delete_reference(env, arr);
		arr = nullptr;
		p = nullptr;
	}
	~ExplainCache() { drop(); }
};

// Explanation of R, from the cache when the line depends only on the item.
napi_value explain_cached(napi_env env, Addon *a, ExplainCache *c, const scope_policy *p, uint64_t gen,
			  const scope_request *rq, const scope_result &r)
{
	if (!c || r.why != SCOPE_WHY_ITEM || r.unknown || r.item == SCOPE_NO_ITEM)
		return a->explain(env, p, rq, r);
	napi_value arr = nullptr, v = nullptr;
	if (c->arr && (c->p != p || c->gen != gen))
		c->drop();
	if (!c->arr) {
		c->env = env;
		if (napi_create_array(env, &arr) != napi_ok || napi_create_reference(env, arr, 1, &c->arr) != napi_ok) {
			c->arr = nullptr;
			return a->explain(env, p, rq, r);
		}
		c->p = p;
		c->gen = gen;
	} else if (napi_get_reference_value(env, c->arr, &arr) != napi_ok || !arr) {
		c->drop();
		return a->explain(env, p, rq, r);
	}
	napi_valuetype t = napi_undefined;
	if (napi_get_element(env, arr, r.item, &v) == napi_ok && napi_typeof(env, v, &t) == napi_ok && t == napi_string)
		return v;
	v = a->explain(env, p, rq, r);
	napi_set_element(env, arr, r.item, v);
	return v;
}

// What a decision needs from its policy holder: the policy (pinned for the
// call) and its cache.  PIN(fn) calls fn(policy, cache, gen) or denies.
napi_value str(napi_env env, const char *s, size_t n = NAPI_AUTO_LENGTH)
{
	napi_value v;
	napi_create_string_utf8(env, s, n, &v);
	return v;
}

napi_value pair(napi_env env, napi_value a, napi_value b)
{
	napi_value arr;
	napi_create_array_with_length(env, 2, &arr);
	napi_set_element(env, arr, 0, a);
	napi_set_element(env, arr, 1, b);
	return arr;
}

// decide(task, action, resource, context) -> explanation (numbers in R).
template <typename Pin>
napi_value decide_core(napi_env env, Addon *a, napi_value *argv, size_t argc, Pin &&pin)
{
	Busy busy(a);
	if (!busy.ok) {
		a->deny(SCOPE_EBUSY);
		return str(env, "re-entrant decision");
	}
	try {
		if (argc < 3)
			throw Fail{SCOPE_EINVAL, "decide(task, action, resource, context)"};
		Span t, ac, r;
		a->copy(env, argv[0], "task", &t);
		a->copy(env, argv[1], "action", &ac);
		if (ac.len == 0)
			throw Fail{SCOPE_EINVAL, "empty action"};
		napi_valuetype rt;
		napi_typeof(env, argv[2], &rt);
		if (rt == napi_undefined || rt == napi_null)
			a->copy_bytes("", 0, &r);
		else
			a->copy(env, argv[2], "resource", &r);
		// The context: none (3 arguments), up to three key/value pairs as
		// arguments, or one flat [key, value, ...] array.
		if (argc == 4) {
			a->copy_context(env, argv[3]);
		} else {
			a->keys.clear();
			a->vals.clear();
			if (argc > 4 && (argc - 3) % 2 == 0) {
				for (size_t i = 3; i < argc; i += 2)
					a->copy_attr(env, argv[i], argv[i + 1]);
			} else if (argc > 4) {
				throw Fail{SCOPE_EINVAL, "context: odd key/value list"};
			}
		}
		a->build_attrs();
		scope_request rq{a->at(t), t.len, a->at(ac), ac.len, a->at(r), r.len,
				 a->attrs.empty() ? nullptr : a->attrs.data(), a->attrs.size()};
		// No JS runs from here on.
		return pin([&](const scope_policy *p, ExplainCache *c, uint64_t gen) -> napi_value {
			scope_result res{SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false};
			int rc = scope_decide(p, a->scratch, &rq, &res);
			if (rc < 0) {
				a->deny(-rc);
				return str(env, "scope_decide failed");
			}
			a->result(res, 0);
			return explain_cached(env, a, c, p, gen, &rq, res);
		});
	} catch (const Fail &f) {
		a->deny(f.code);
		return str(env, f.msg.data(), f.msg.size());
	} catch (const std::bad_alloc &) {
		a->deny(SCOPE_ENOMEM);
		return str(env, "out of memory");
	}
}

// decideToolCall(task, action, argsJson, cwd) -> [explanation, resource]
template <typename Pin>
napi_value tool_core(napi_env env, Addon *a, napi_value *argv, size_t argc, Pin &&pin)
{
	Busy busy(a);
	if (!busy.ok) {
		a->deny(SCOPE_EBUSY);
		return pair(env, str(env, "re-entrant decision"), str(env, "", 0));
	}
	try {
		if (argc < 4)
			throw Fail{SCOPE_EINVAL, "decideToolCall(task, action, arguments, cwd)"};
		Span t, ac, js{0, 0}, cwd{0, 0};
		a->copy(env, argv[0], "task", &t);
		a->copy(env, argv[1], "tool", &ac);
		if (ac.len == 0)
			throw Fail{SCOPE_EINVAL, "empty tool action"};
		napi_valuetype vt;
		napi_typeof(env, argv[2], &vt);
		bool has_args = !(vt == napi_undefined || vt == napi_null);
		if (has_args)  // JSON text: a NUL inside is escaped (\u0000), never raw
			a->copy(env, argv[2], "arguments", &js);
		napi_typeof(env, argv[3], &vt);
		bool has_cwd = !(vt == napi_undefined || vt == napi_null);
		if (has_cwd) {
			a->copy(env, argv[3], "cwd", &cwd);
			if (cwd.len == 0)
				throw Fail{SCOPE_EINVAL, "empty cwd"};
		}
		if (!a->form && scope_form_create(&a->form) < 0)
			throw Fail{SCOPE_ENOMEM, "scope_form_create"};
		int rc = scope_form_tool_call(a->form, a->at(t), a->at(ac), has_args ? a->at(js) : nullptr,
					      has_args ? js.len : 0, has_cwd ? a->at(cwd) : nullptr);
		if (rc < 0) {
			std::string m = scope_form_error(a->form);
			if (m.empty())
				m = errtext(-rc);
			throw Fail{-rc, m};
		}
		return pin([&](const scope_policy *p, ExplainCache *c, uint64_t gen) -> napi_value {
			scope_result res{SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false};
			size_t which = 0;
			int rc2 = scope_form_decide(a->form, p, a->scratch, &res, &which);
			size_t count = scope_form_count(a->form);
			uint32_t count32 = static_cast<uint32_t>(count > UINT32_MAX ? UINT32_MAX : count);
			if (rc2 < 0) {
				a->deny(-rc2);
				a->res[R_COUNT] = count32;
				return pair(env, str(env, count ? "scope_form_decide failed" : "no request formed"), str(env, "", 0));
			}
			a->result(res, 0);
			a->res[R_WHICH] = static_cast<uint32_t>(which);
			a->res[R_COUNT] = count32;
			const scope_request *rq = scope_form_request(a->form, which);
			napi_value ex = explain_cached(env, a, c, p, gen, rq, res);
			return pair(env, ex, str(env, rq ? rq->resource : "", rq ? rq->resource_len : 0));
		});
	} catch (const Fail &f) {
		a->deny(f.code);
		return pair(env, str(env, f.msg.data(), f.msg.size()), str(env, "", 0));
	} catch (const std::bad_alloc &) {
		a->deny(SCOPE_ENOMEM);
		return pair(env, str(env, "out of memory"), str(env, "", 0));
	}
}

Napi::Object item_object(Napi::Env env, const scope_policy *p, uint32_t i)
{
	scope_item_info info;
	int rc = scope_policy_item(p, i, &info);
	if (rc < 0)
		throw_scope(env, rc, "item " + std::to_string(i));
	static const char *kinds[] = {"allow", "ask", "deny"};
	Napi::Object o = Napi::Object::New(env);
	o.Set("index", Napi::Number::New(env, i));
	o.Set("kind", Napi::String::New(env, kinds[info.kind <= SCOPE_DENY ? info.kind : SCOPE_DENY]));
	o.Set("hasCondition", Napi::Boolean::New(env, info.has_condition));
	o.Set("hasLocation", Napi::Boolean::New(env, info.has_location));
	o.Set("file", Napi::String::New(env, info.file ? info.file : ""));
	o.Set("line", Napi::Number::New(env, info.line));
	o.Set("col", Napi::Number::New(env, info.col));
	o.Set("text", Napi::String::New(env, info.text ? info.text : ""));
	return o;
}

// ---- boxes: what the wrappers and their fast functions share ---------------
//
// decide / decideToolCall are plain N-API functions (no ObjectWrap unwrap on
// the hot path) created per object, whose data is a heap shared_ptr to the
// box; the wrapper holds another.  All of one box's holders live in one
// thread (the JS objects of one environment).

struct PolicyBox {
	scope_policy *p = nullptr;
	bool signed_by_key = false;                   // loaded with trustedKeys
	unsigned char key[SCOPE_ED25519_KEY_LEN] = {};  // the one that verified it
	ExplainCache cache;
	~PolicyBox() { scope_policy_destroy(p); }
};

struct HandleBox {
	std::shared_ptr<SharedHandle> sh;
	ExplainCache cache;
};

template <typename Box>
void finalize_box(napi_env, void *data, void *)
{
	delete static_cast<std::shared_ptr<Box> *>(data);
}

template <typename Box>
napi_value box_function(napi_env env, const char *name, napi_callback cb, const std::shared_ptr<Box> &box)
{
	auto *data = new std::shared_ptr<Box>(box);
	napi_value fn;
	if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &fn) != napi_ok) {
		delete data;
		return nullptr;
	}
	if (napi_add_finalizer(env, fn, data, finalize_box<Box>, nullptr, nullptr) != napi_ok) {
		delete data;  // not reachable from fn: nothing will call it
		return nullptr;
	}
	return fn;
}

template <typename Box>
Box *box_of(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv)
{
	void *data = nullptr;
	size_t cap = *argc;
	if (napi_get_cb_info(env, info, argc, argv, nullptr, &data) != napi_ok || !data)
		return nullptr;
	if (*argc > cap)  // more than ARGV holds: a malformed call
		*argc = 0;
	return static_cast<std::shared_ptr<Box> *>(data)->get();
}

napi_value policy_decide_cb(napi_env env, napi_callback_info info)
{
	size_t argc = MAX_ARGS;
	napi_value argv[MAX_ARGS];
	Addon *a = addon_of(env);
	PolicyBox *b = box_of<PolicyBox>(env, info, &argc, argv);
	if (!a)
		return nullptr;
	if (!b)
		return deny_string(env, a, SCOPE_EINVAL, "no policy");
	try {
		return decide_core(env, a, argv, argc, [&](auto &&fn) -> napi_value {
			if (!b->p)
				return deny_string(env, a, SCOPE_EINVAL, "policy closed");
			return fn(b->p, &b->cache, 0);
		});
	} catch (...) {
		return deny_string(env, a, SCOPE_EINVAL, "internal error");
	}
}

napi_value policy_tool_cb(napi_env env, napi_callback_info info)
{
	size_t argc = MAX_ARGS;
	napi_value argv[MAX_ARGS];
	Addon *a = addon_of(env);
	PolicyBox *b = box_of<PolicyBox>(env, info, &argc, argv);
	if (!a)
		return nullptr;
	if (!b)
		return deny_pair(env, a, SCOPE_EINVAL, "no policy");
	try {
		return tool_core(env, a, argv, argc, [&](auto &&fn) -> napi_value {
			if (!b->p)
				return deny_pair(env, a, SCOPE_EINVAL, "policy closed");
			return fn(b->p, &b->cache, 0);
		});
	} catch (...) {
		return deny_pair(env, a, SCOPE_EINVAL, "internal error");
	}
}

// Pins the handle's current policy for FN; the generation read after the
// pin names that policy for the explanation cache (see SharedHandle::gen).
template <typename Fn, typename Deny>
napi_value with_handle(napi_env env, Addon *a, HandleBox *b, Fn &&fn, Deny deny)
{
	std::shared_ptr<SharedHandle> sh = b->sh;  // alive for the call, even if closed meanwhile
	if (!sh)
		return deny(env, a, SCOPE_EINVAL, "handle closed");
	const scope_policy *p = nullptr;
	unsigned ticket = 0;
	int rc = scope_handle_acquire(sh->h, &p, &ticket);
	if (rc < 0)
		return deny(env, a, -rc, scope_strerror(rc));
	uint64_t gen = sh->gen.load(std::memory_order_seq_cst);
	napi_value v = fn(p, &b->cache, gen);
	scope_handle_release(sh->h, ticket);
	return v;
}

napi_value handle_decide_cb(napi_env env, napi_callback_info info)
{
	size_t argc = MAX_ARGS;
	napi_value argv[MAX_ARGS];
	Addon *a = addon_of(env);
	HandleBox *b = box_of<HandleBox>(env, info, &argc, argv);
	if (!a)
		return nullptr;
	if (!b)
		return deny_string(env, a, SCOPE_EINVAL, "no handle");
	try {
		return decide_core(env, a, argv, argc, [&](auto &&fn) -> napi_value {
			return with_handle(env, a, b, fn, deny_string);
		});
	} catch (...) {
		return deny_string(env, a, SCOPE_EINVAL, "internal error");
	}
}

napi_value handle_tool_cb(napi_env env, napi_callback_info info)
{
	size_t argc = MAX_ARGS;
	napi_value argv[MAX_ARGS];
	Addon *a = addon_of(env);
	HandleBox *b = box_of<HandleBox>(env, info, &argc, argv);
	if (!a)
		return nullptr;
	if (!b)
		return deny_pair(env, a, SCOPE_EINVAL, "no handle");
	try {
		return tool_core(env, a, argv, argc, [&](auto &&fn) -> napi_value {
			return with_handle(env, a, b, fn, deny_pair);
		});
	} catch (...) {
		return deny_pair(env, a, SCOPE_EINVAL, "internal error");
	}
}

// ---- NativePolicy ----------------------------------------------------------

class NativePolicy : public Napi::ObjectWrap<NativePolicy> {
public:
	static Napi::Function Define(Napi::Env env)
	{
		return DefineClass(env, "NativePolicy",
				   {
					   StaticMethod<&NativePolicy::Load>("load"),
					   InstanceMethod<&NativePolicy::Item>("item"),
					   InstanceMethod<&NativePolicy::Info>("info"),
					   InstanceMethod<&NativePolicy::Close>("close"),
				   });
	}

	explicit NativePolicy(const Napi::CallbackInfo &info)
		: Napi::ObjectWrap<NativePolicy>(info), box_(std::make_shared<PolicyBox>())
	{
	}

	// Whether this policy was verified with one of KS's keys.
	bool trusted_by(const Keyset &ks) const
	{
		for (size_t k = 0; box_->signed_by_key && k < ks.n; k++)
			if (memcmp(box_->key, ks.k[k], SCOPE_ED25519_KEY_LEN) == 0)
				return true;
		return false;
	}

	scope_policy *take()
	{
		scope_policy *p = box_->p;
		box_->p = nullptr;
		return p;
	}

	static NativePolicy *unwrap_policy(Napi::Env env, Napi::Value v)
	{
		Addon *a = addon_of(env);
		if (!a || !v.IsObject() || !v.As<Napi::Object>().InstanceOf(a->policy_ctor.Value()))
			return nullptr;
		return NativePolicy::Unwrap(v.As<Napi::Object>());
	}

private:
	std::shared_ptr<PolicyBox> box_;

	// load(pathOrBytes) -> a NativePolicy with own decide / decideToolCall.
	static Napi::Value Load(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		Addon *a = addon_of(env);
		if (!a)
			throw_scope(env, SCOPE_EINVAL, "addon not initialised");
		Keyset ks = keys_arg(info, 1);
		int which;
		scope_policy *p = load_value(info, ks, &which);
		Napi::Object o = a->policy_ctor.New({});
		NativePolicy *np = NativePolicy::Unwrap(o);
		np->box_->p = p;
		if (which >= 0) {
			np->box_->signed_by_key = true;
			memcpy(np->box_->key, ks.k[which], SCOPE_ED25519_KEY_LEN);
		}
		napi_value d = box_function(env, "decide", policy_decide_cb, np->box_);
		napi_value t = box_function(env, "decideToolCall", policy_tool_cb, np->box_);
		if (!d || !t)
			throw_scope(env, SCOPE_ENOMEM, "cannot create the decide functions");
		o.Set("decide", Napi::Value(env, d));
		o.Set("decideToolCall", Napi::Value(env, t));
		return o;
	}

	Napi::Value Item(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		if (!box_->p)
			throw_scope(env, SCOPE_EINVAL, "policy closed");
		if (info.Length() < 1 || !info[0].IsNumber())
			throw_scope(env, SCOPE_ERANGE, "item index must be a number");
		double d = info[0].As<Napi::Number>().DoubleValue();
		if (!(d >= 0 && d < 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
			throw_scope(env, SCOPE_ERANGE, "item index");
		return item_object(env, box_->p, static_cast<uint32_t>(d));
	}

	Napi::Value Info(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		if (!box_->p)
			throw_scope(env, SCOPE_EINVAL, "policy closed");
		Napi::Object o = Napi::Object::New(env);
		o.Set("items", Napi::Number::New(env, scope_policy_item_count(box_->p)));
		o.Set("tasks", Napi::Number::New(env, scope_policy_task_count(box_->p)));
		o.Set("imageSize", Napi::Number::New(env, static_cast<double>(scope_policy_image_size(box_->p))));
		return o;
	}

	Napi::Value Close(const Napi::CallbackInfo &info)
	{
		Addon *a = addon_of(info.Env());
		if (a && a->busy)  // from inside a decision: not now
			throw_scope(info.Env(), SCOPE_EBUSY, "close() during a decision");
		scope_policy_destroy(take());
		box_->cache.drop();
		return info.Env().Undefined();
	}
};

// ---- NativeHandle ------------------------------------------------------------

class NativeHandle : public Napi::ObjectWrap<NativeHandle> {
public:
	static Napi::Function Define(Napi::Env env)
	{
		return DefineClass(env, "NativeHandle",
				   {
					   StaticMethod<&NativeHandle::Create>("create"),
					   StaticMethod<&NativeHandle::Attach>("attach"),
					   InstanceMethod<&NativeHandle::Swap>("swap"),
					   InstanceMethod<&NativeHandle::Id>("id"),
					   InstanceMethod<&NativeHandle::Close>("close"),
				   });
	}

	explicit NativeHandle(const Napi::CallbackInfo &info)
		: Napi::ObjectWrap<NativeHandle>(info), box_(std::make_shared<HandleBox>())
	{
	}

private:
	std::shared_ptr<HandleBox> box_;

	static Napi::Object wrap(Napi::Env env, std::shared_ptr<SharedHandle> sh)
	{
		Addon *a = addon_of(env);
		if (!a)
			throw_scope(env, SCOPE_EINVAL, "addon not initialised");
		Napi::Object o = a->handle_ctor.New({});
		NativeHandle *nh = NativeHandle::Unwrap(o);
		nh->box_->sh = std::move(sh);
		napi_value d = box_function(env, "decide", handle_decide_cb, nh->box_);
		napi_value t = box_function(env, "decideToolCall", handle_tool_cb, nh->box_);
		if (!d || !t)
			throw_scope(env, SCOPE_ENOMEM, "cannot create the decide functions");
		o.Set("decide", Napi::Value(env, d));
		o.Set("decideToolCall", Napi::Value(env, t));
		return o;
	}

	// create(): an empty handle of this process.
	static Napi::Value Create(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		Keyset ks = keys_arg(info, 0);
		scope_handle *h = nullptr;
		int rc = scope_handle_create(&h, nullptr);
		if (rc < 0)
			throw_scope(env, rc, "scope_handle_create");
		return wrap(env, registry_new(h, ks));
	}

	// attach(id): the handle with that id, from any thread of this process.
	static Napi::Value Attach(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		if (info.Length() < 1 || !info[0].IsNumber())
			throw_scope(env, SCOPE_EINVAL, "a handle id is a number");
		double d = info[0].As<Napi::Number>().DoubleValue();
		if (!(d >= 1 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
			throw_scope(env, SCOPE_EINVAL, "no such handle");
		auto sh = registry_find(static_cast<uint32_t>(d));
		if (!sh)
			throw_scope(env, SCOPE_EINVAL, "no such handle (closed or never created)");
		return wrap(env, std::move(sh));
	}

	// swap(nativePolicy | path | bytes | null): the new policy is loaded and
	// verified first; on failure this throws and the current one stays.
	Napi::Value Swap(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		Addon *a = addon_of(env);
		std::shared_ptr<SharedHandle> sh = box_->sh;
		if (!sh)
			throw_scope(env, SCOPE_EINVAL, "handle closed");
		if (a && a->busy)
			throw_scope(env, SCOPE_EBUSY, "swap() during a decision of this thread");
		scope_policy *next = nullptr;
		if (info.Length() >= 1 && !info[0].IsNull() && !info[0].IsUndefined()) {
			if (NativePolicy *np = NativePolicy::unwrap_policy(env, info[0])) {
				if (sh->keys.n && !np->trusted_by(sh->keys))
					throw_scope(env, SCOPE_EUNSIGNED, "this handle takes only policies signed by its "
						    "trusted keys: load the Policy with trustedKeys (or swap in the image or path)");
				next = np->take();
				if (!next)
					throw_scope(env, SCOPE_EINVAL, "policy closed (or already given to a handle)");
			} else {
				int which;
				next = load_value(info, sh->keys, &which);
			}
		}
		// The generation moves before the new policy is published: a reader
		// that sees NEXT reads a generation no cache was filled under.
		sh->gen.fetch_add(1, std::memory_order_seq_cst);
		int rc = scope_handle_swap(sh->h, next);
		if (rc < 0) {
			scope_policy_destroy(next);
			throw_scope(env, rc, "scope_handle_swap");
		}
		return env.Undefined();
	}

	Napi::Value Id(const Napi::CallbackInfo &info)
	{
		if (!box_->sh)
			throw_scope(info.Env(), SCOPE_EINVAL, "handle closed");
		return Napi::Number::New(info.Env(), box_->sh->id);
	}

	Napi::Value Close(const Napi::CallbackInfo &info)
	{
		Addon *a = addon_of(info.Env());
		if (a && a->busy)
			throw_scope(info.Env(), SCOPE_EBUSY, "close() during a decision");
		box_->sh.reset();
		box_->cache.drop();
		return info.Env().Undefined();
	}
};

// ---- free functions ----------------------------------------------------------

Napi::Value Init(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	Addon *a = addon_of(env);
	if (!a || info.Length() < 1 || !info[0].IsFunction())
		throw Napi::TypeError::New(env, "init(ScopeError)");
	a->error_ctor = Napi::Persistent(info[0].As<Napi::Function>());
	return env.Undefined();
}

Napi::Value Strerror(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	if (info.Length() < 1 || !info[0].IsNumber())
		return Napi::String::New(env, scope_strerror(0));
	double d = info[0].As<Napi::Number>().DoubleValue();
	int code = (d >= -1000 && d <= 1000) ? static_cast<int>(d) : 1000;
	return Napi::String::New(env, scope_strerror(code > 0 ? -code : code));
}

Napi::Value IsBytecode(const Napi::CallbackInfo &info)
{
	const void *d = nullptr;
	size_t n = 0;
	if (info.Length() < 1 || !bytes_of(info[0], &d, &n))
		return Napi::Boolean::New(info.Env(), false);
	return Napi::Boolean::New(info.Env(), scope_is_bytecode(d, n));
}

Napi::Value Canon(const Napi::CallbackInfo &info, bool url)
{
	Napi::Env env = info.Env();
	if (info.Length() < 1 || !info[0].IsString())
		throw_scope(env, SCOPE_EINVAL, url ? "url must be a string" : "path must be a string");
	// A NUL byte is the library's to refuse (SCOPE_EPATH / SCOPE_EURL).
	std::string in = info[0].As<Napi::String>().Utf8Value();
	std::string cwd;
	bool has_cwd = false;
	if (!url && info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNull()) {
		cwd = string_arg(info, 1, "cwd");
		has_cwd = true;
	}
	std::vector<char> buf(url ? in.size() * 3 + 256 : PATH_MAX + 1);
	for (;;) {
		size_t len = buf.size();
		int rc = url ? scope_canon_url(in.data(), in.size(), buf.data(), &len)
			     : scope_canon_path(in.data(), in.size(), has_cwd ? cwd.c_str() : nullptr, buf.data(), &len);
		if (rc == -SCOPE_ENOSPC && buf.size() < (size_t(1) << 26)) {
			buf.resize(buf.size() * 4);
			continue;
		}
		if (rc < 0)
			throw_scope(env, rc, in.size() > 200 ? in.substr(0, 200) + "..." : in);
		return Napi::String::New(env, buf.data(), len);
	}
}

Napi::Value CanonPath(const Napi::CallbackInfo &info) { return Canon(info, false); }
Napi::Value CanonUrl(const Napi::CallbackInfo &info) { return Canon(info, true); }

void finalize_addon(napi_env, void *data, void *)
{
	delete static_cast<Addon *>(data);
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports)
{
	auto *a = new Addon;
	if (scope_scratch_create(&a->scratch) < 0) {
		delete a;
		throw Napi::Error::New(env, "scope: cannot create the evaluation scratch (out of memory)");
	}
	if (napi_set_instance_data(env, a, finalize_addon, nullptr) != napi_ok) {
		delete a;
		throw Napi::Error::New(env, "scope: napi_set_instance_data failed");
	}
	// The result slots: native memory (an ArrayBuffer created here never moves).
	Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, R_SLOTS * sizeof(uint32_t));
	a->res = static_cast<uint32_t *>(ab.Data());
	std::memset(a->res, 0, R_SLOTS * sizeof(uint32_t));
	a->res_buf = Napi::Persistent(ab);
	Napi::Function pc = NativePolicy::Define(env);
	Napi::Function hc = NativeHandle::Define(env);
	a->policy_ctor = Napi::Persistent(pc);
	a->handle_ctor = Napi::Persistent(hc);
	exports.Set("NativePolicy", pc);
	exports.Set("NativeHandle", hc);
	exports.Set("result", Napi::Uint32Array::New(env, R_SLOTS, ab, 0));
	exports.Set("init", Napi::Function::New(env, Init, "init"));
	exports.Set("strerror", Napi::Function::New(env, Strerror, "strerror"));
	exports.Set("isBytecode", Napi::Function::New(env, IsBytecode, "isBytecode"));
	exports.Set("canonicalPath", Napi::Function::New(env, CanonPath, "canonicalPath"));
	exports.Set("canonicalUrl", Napi::Function::New(env, CanonUrl, "canonicalUrl"));
	return exports;
}

}  // namespace

NODE_API_MODULE(scope, InitModule)
