'use strict';
// scope — Node binding of libscope (the scope runtime) and libscope-enforce
// (request forming).  The native half is src/scope_node.cc.
//
//   const { Policy, Handle } = require('scope');
//   const policy = Policy.load('triage.scopec');        // or a .scope source, or a Buffer
//   policy.decide({ task: 'triage', action: 'post', resource: 'forum.help',
//                   context: { channel: 'internal' } });
//   // { decision: 'ask', item: 3, explanation: 'triage.scope:11:10: asks post ...', ... }
//
// Contracts (the C library's, kept in JS):
//   * fail closed: decide() and decideToolCall() never throw and never allow
//     on an error.  A malformed request (a field that is not a string, an
//     empty action, a NUL byte, a context value that is not a string, finite
//     number, bigint or boolean) and every library error give
//     { decision: 'deny', why: 'error', error: ScopeError };
//   * loading, item() and swap() throw ScopeError { code: 'SCOPE_E...', errno, message };
//   * a Policy belongs to the thread (main or worker) that loaded it; a Handle
//     is shared between worker threads by id: Handle.attach(handle.id);
//   * every thread has its own evaluation scratch: deciding allocates nothing
//     in C.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function loadNative() {
	const candidates = [
		process.env.SCOPE_NODE_ADDON,
		path.join(__dirname, 'build', 'Release', 'scope.node'),
		path.join(__dirname, 'build', 'Debug', 'scope.node'),
	].filter(Boolean);
	let last;
	for (const c of candidates) {
		if (!fs.existsSync(c)) continue;
		try {
			return require(c);
		} catch (e) {
			last = e;
		}
	}
	const err = new Error('scope: the native addon is not built (run `npm run build` or `make node-check`)' +
		(last ? `: ${last.message}` : ''));
	err.cause = last;
	throw err;
}

const native = loadNative();

// Mirror of SCOPE_ERRORS in scope.h (the tests compare texts with the library).
const ERRORS = Object.freeze({
	1: 'SCOPE_EINVAL', 2: 'SCOPE_ENOMEM', 3: 'SCOPE_EIO', 4: 'SCOPE_EFORMAT', 5: 'SCOPE_EVERSION',
	6: 'SCOPE_ELENGTH', 7: 'SCOPE_ECHECKSUM', 8: 'SCOPE_EVERIFY', 9: 'SCOPE_EREGEX', 10: 'SCOPE_ERANGE',
	11: 'SCOPE_ENOSPC', 12: 'SCOPE_EBUSY', 13: 'SCOPE_ENOPOLICY', 14: 'SCOPE_EPATH', 15: 'SCOPE_EURL',
	16: 'SCOPE_EUNSIGNED', 17: 'SCOPE_ESIGNATURE', 18: 'SCOPE_EKEY',
});

/** A libscope error: code 'SCOPE_EFORMAT' etc. (or 'SCOPE_ECOMPILE' when
 * scopec rejected a source), errno the positive SCOPE_E number (0 for
 * SCOPE_ECOMPILE), message scope_strerror()'s text and the detail. */
class ScopeError extends Error {
	constructor(errno, message) {
		super(message);
		this.name = 'ScopeError';
		this.errno = typeof errno === 'number' ? Math.abs(errno) : 0;
		this.code = typeof errno === 'string' ? errno : (ERRORS[this.errno] || 'SCOPE_E?');
	}
}
native.init(ScopeError);

const DECISIONS = ['allow', 'ask', 'deny'];
const WHYS = ['item', 'default', 'no-task', 'error'];
const NO_ITEM = 0xffffffff;
const R = native.result; // Uint32Array: decision, why, item, unknown, err, which, count

function denyResult(err) {
	return { decision: 'deny', why: 'error', item: null, unknown: false,
		explanation: 'error (fail closed: deny)', error: err };
}

function errorOf(msg) {
	return new ScopeError(R[4], `${native.strerror(R[4])}: ${msg}`);
}

// The result of the native call just made (R holds its numbers).
function result(explanation) {
	if (R[4] !== 0) return denyResult(errorOf(explanation));
	const d = R[0], w = R[1];
	if (d > 2 || w > 3) return denyResult(new ScopeError(1, 'invalid argument: result out of range'));
	return {
		decision: DECISIONS[d],
		why: WHYS[w],
		item: R[2] === NO_ITEM ? null : R[2],
		unknown: R[3] === 1,
		explanation,
	};
}

function toolResult(pair) {
	const r = result(pair[0]);
	if (r.error === undefined) {
		r.resource = pair[1];
		r.request = R[5];
		r.requests = R[6];
	}
	return r;
}

function malformed(msg) {
	return denyResult(new ScopeError(1, `invalid argument: ${msg}`));
}

const hasOwn = Object.prototype.hasOwnProperty;

function decideWith(nat, req) {
	try {
		if (req === null || typeof req !== 'object') return malformed('a request is an object {task, action, resource, context}');
		const task = req.task, action = req.action, resource = req.resource, context = req.context;
		// The context's own enumerable members, read once here (getters run
		// in JS, never inside the native call): up to three as arguments,
		// more as one flat [key, value, ...] array.
		if (context === undefined || context === null) return result(nat.decide(task, action, resource));
		if (typeof context !== 'object' || Array.isArray(context)) return malformed('context must be a plain object of scalar values');
		let n = 0, k1, v1, k2, v2, k3, v3, kv;
		for (const k in context) {
			if (!hasOwn.call(context, k)) continue;
			const v = context[k];
			switch (++n) {
			case 1: k1 = k; v1 = v; break;
			case 2: k2 = k; v2 = v; break;
			case 3: k3 = k; v3 = v; break;
			case 4: kv = [k1, v1, k2, v2, k3, v3, k, v]; break;
			default: kv.push(k, v);
			}
		}
		switch (n) {
		case 0: return result(nat.decide(task, action, resource));
		case 1: return result(nat.decide(task, action, resource, k1, v1));
		case 2: return result(nat.decide(task, action, resource, k1, v1, k2, v2));
		case 3: return result(nat.decide(task, action, resource, k1, v1, k2, v2, k3, v3));
		default: return result(nat.decide(task, action, resource, kv));
		}
	} catch (e) {
		return denyResult(e instanceof ScopeError ? e : new ScopeError(1, `invalid argument: ${e && e.message}`));
	}
}

function decideToolCallWith(nat, call) {
	try {
		if (call === null || typeof call !== 'object') return malformed('a tool call is an object {task, tool, arguments, cwd}');
		const { task, tool, cwd } = call;
		let args = call.arguments;
		if (args !== undefined && args !== null && typeof args !== 'string') {
			if (typeof args !== 'object' || Array.isArray(args)) return malformed('arguments must be an object or JSON text');
			args = JSON.stringify(args);
		}
		return toolResult(nat.decideToolCall(task, tool, args, cwd));
	} catch (e) {
		return denyResult(e instanceof ScopeError ? e : new ScopeError(1, `invalid argument: ${e && e.message}`));
	}
}

// ---- compiling sources (the scopec CLI) --------------------------------------

function findScopec() {
	if (process.env.SCOPEC) return process.env.SCOPEC;
	const local = path.join(__dirname, '..', '..', 'scopec');
	try {
		fs.accessSync(local, fs.constants.X_OK);
		return local;
	} catch { /* not in a source tree */ }
	return 'scopec';
}

/** Runs `scopec compile FILE` and returns the bytecode (a Buffer).  Throws
 * ScopeError SCOPE_ECOMPILE with scopec's diagnostics. */
function compile(file, { strip = false } = {}) {
	if (typeof file !== 'string' || file.includes('\0')) throw new ScopeError(1, 'invalid argument: compile(path)');
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scope-'));
	try {
		const out = path.join(dir, 'policy.scopec');
		const argv = ['compile', file, '-o', out];
		if (strip) argv.push('--strip');
		try {
			execFileSync(findScopec(), argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
		} catch (e) {
			const why = (e.stderr || e.message || '').toString().trim();
			throw new ScopeError('SCOPE_ECOMPILE', `scopec compile ${file} failed: ${why}`);
		}
		return fs.readFileSync(out);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

// A path, bytes, or a source path (.scope) -> what the native loader takes.
// SIGNED (trusted keys required): a source is not compiled but handed over
// as it is, so that the loader refuses it (a source is never signed).
function loadable(source, signed) {
	if (typeof source === 'string') {
		if (source.endsWith('.scope') && !signed) return compile(source);
		return source;
	}
	if (source instanceof URL) return loadable(source.protocol === 'file:' ? require('node:url').fileURLToPath(source) : String(source), signed);
	return source;
}

// The trustedKeys of an options object (undefined: no signature check).
function trustedKeys(options) {
	if (options === undefined || options === null) return undefined;
	if (typeof options !== 'object') throw new TypeError('options is an object: { trustedKeys }');
	return options.trustedKeys === null ? undefined : options.trustedKeys;
}

// ---- Policy ------------------------------------------------------------------

const kNative = Symbol('scope.native');
const kSigned = Symbol('scope.signed');

class Policy {
	/** Policy.load(pathOrBuffer, {trustedKeys}?): a compiled image (path or
	 * Buffer / Uint8Array / ArrayBuffer) or a `.scope` source (compiled with
	 * scopec first); verified.  With trustedKeys (Ed25519 public keys: key
	 * file paths or PEM buffers) only an image signed by one of them
	 * (`scopec sign`) loads.  Throws ScopeError. */
	static load(source, options) {
		const keys = trustedKeys(options);
		const p = Object.create(Policy.prototype);
		p[kNative] = native.NativePolicy.load(loadable(source, keys !== undefined), keys);
		return p;
	}

	constructor() {
		throw new TypeError('use Policy.load(pathOrBuffer)');
	}

	/** decide({task, action, resource, context}) -> {decision, why, item,
	 * unknown, explanation} or, on any error, {decision: 'deny', why: 'error',
	 * error}.  Never throws. */
	decide(req) {
		return decideWith(this[kNative], req);
	}

	/** decideToolCall({task, tool, arguments, cwd}): the requests of one tool
	 * call formed by libscope-enforce (canonical paths and URLs from the
	 * path/paths/source/destination/file_path/uri/url arguments, every scalar
	 * argument as attribute arg.NAME), the most restrictive decision wins.
	 * TOOL is the action; ARGUMENTS an object or JSON text.  The result also
	 * has resource (the canonical resource of the deciding request), request
	 * (its index) and requests (how many were formed).  Never throws. */
	decideToolCall(call) {
		return decideToolCallWith(this[kNative], call);
	}

	/** The item INDEX: {index, kind, hasCondition, hasLocation, file, line, col, text}. */
	item(index) {
		return this[kNative].item(index);
	}

	get itemCount() { return this[kNative].info().items; }
	get taskCount() { return this[kNative].info().tasks; }
	get imageSize() { return this[kNative].info().imageSize; }

	/** Frees the policy now (decisions after that are deny); the garbage
	 * collector does it otherwise. */
	close() {
		this[kNative].close();
	}
}

// ---- Handle --------------------------------------------------------------------

class Handle {
	/** new Handle(initial?, {trustedKeys}?): INITIAL is a Policy (taken over:
	 * it is closed afterwards), a path, bytes, or nothing (every decision is
	 * deny with SCOPE_ENOPOLICY until a swap).  With trustedKeys every policy
	 * swapped in must be signed by one of them (a Policy: loaded with one of
	 * them); the keys are the handle's, in every thread that attaches it. */
	constructor(initial, options) {
		const keys = trustedKeys(options);
		this[kNative] = native.NativeHandle.create(keys);
		this[kSigned] = keys !== undefined;
		if (initial !== undefined && initial !== null) this.swap(initial);
	}

	/** The same process-wide handle in this thread (e.g. a worker): ID is
	 * handle.id of the thread that created it.  Throws if it is gone. */
	static attach(id) {
		const h = Object.create(Handle.prototype);
		h[kNative] = native.NativeHandle.attach(id);
		return h;
	}

	/** Process-wide id, for Handle.attach() in another thread. */
	get id() {
		return this[kNative].id();
	}

	/** Replaces the policy: a Policy (taken over), a path (a `.scope` source is
	 * compiled), bytes, or null (empty).  A bad image throws ScopeError and
	 * the current policy stays. */
	swap(next) {
		if (next instanceof Policy) {
			this[kNative].swap(next[kNative]);
			return;
		}
		this[kNative].swap(next === null || next === undefined ? null : loadable(next, this[kSigned]));
	}

	decide(req) {
		return decideWith(this[kNative], req);
	}

	decideToolCall(call) {
		return decideToolCallWith(this[kNative], call);
	}

	/** Drops this thread's reference; the policy is freed when no thread
	 * holds the handle any more. */
	close() {
		this[kNative].close();
	}
}

// ---- canonical resources -------------------------------------------------------

/** The canonical form of PATH (absolute against CWD or the process's working
 * directory, `.`/`..` removed, symbolic links resolved).  Throws ScopeError
 * SCOPE_EPATH. */
function canonicalPath(p, cwd) {
	return native.canonicalPath(p, cwd);
}

/** The canonical form of URL (RFC 3986; scheme and host lower-cased, default
 * port dropped, dot segments removed, fragment dropped).  Throws ScopeError
 * SCOPE_EURL. */
function canonicalUrl(u) {
	return native.canonicalUrl(u);
}

function isBytecode(data) {
	return native.isBytecode(data);
}

function strerror(code) {
	return native.strerror(code);
}

module.exports = {
	Policy, Handle, ScopeError, ERRORS, canonicalPath, canonicalUrl, isBytecode, strerror, compile,
};
