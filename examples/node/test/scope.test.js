'use strict';
// Unit tests of the addon: decisions, fail-closed requests, loading and
// corrupted images, the hot-swap handle under worker threads, request
// forming (canonical paths, symbolic links, URLs, arg.NAME attributes).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const scope = require('..');
const { Policy, Handle, ScopeError, ERRORS, canonicalPath, canonicalUrl, compile, isBytecode, strerror } = scope;

const ROOT = path.join(__dirname, '..', '..', '..');
const TRIAGE = path.join(ROOT, 'examples', 'triage.scope');
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'scope-node-')));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writePolicy(name, text) {
	const src = path.join(tmp, `${name}.scope`);
	fs.writeFileSync(src, text);
	return src;
}

const triage = Policy.load(TRIAGE);

function isDenyError(r, code = 'SCOPE_EINVAL') {
	assert.equal(r.decision, 'deny');
	assert.equal(r.why, 'error');
	assert.ok(r.error instanceof ScopeError, `error is a ScopeError: ${r.error}`);
	assert.equal(r.error.code, code, r.error.message);
}

// ---- the error table ---------------------------------------------------------

test('ERRORS mirrors SCOPE_ERRORS of scope.h, texts from the library', () => {
	const h = fs.readFileSync(path.join(ROOT, 'runtime', 'scope.h'), 'utf8');
	const rows = [...h.matchAll(/X\((SCOPE_E[A-Z]+), (\d+), "([^"]+)"\)/g)];
	assert.ok(rows.length >= 15);
	for (const [, name, num, text] of rows) {
		assert.equal(ERRORS[num], name);
		assert.equal(strerror(Number(num)), text);
		assert.equal(strerror(-Number(num)), text);
	}
	assert.equal(Object.keys(ERRORS).length, rows.length);
});

// ---- deciding ------------------------------------------------------------------

test('decide: allow, ask, deny with the deciding item and its explanation', () => {
	let r = triage.decide({ task: 'triage', action: 'read', resource: 'forum.general.42' });
	assert.deepEqual(r, { decision: 'allow', why: 'item', item: 0, unknown: false,
		explanation: `${TRIAGE}:6:10: allows read forum.**` });
	r = triage.decide({ task: 'triage', action: 'post', resource: 'forum.help', context: { channel: 'internal' } });
	assert.equal(r.decision, 'ask');
	assert.match(r.explanation, /triage\.scope:11:10: asks post forum\.\*\* when channel == "internal"$/);
	assert.equal(triage.item(r.item).text, 'asks post forum.** when channel == "internal"');
	r = triage.decide({ task: 'triage', action: 'post', resource: 'forum.help' });
	assert.deepEqual([r.decision, r.why, r.item], ['deny', 'default', null]);
	assert.equal(r.explanation, 'no item allows this (default deny)');
	r = triage.decide({ task: 'nobody', action: 'read', resource: 'forum.x' });
	assert.deepEqual([r.decision, r.why, r.explanation], ['deny', 'no-task', 'undeclared task']);
	r = triage.decide({ task: 'oncall', action: 'config.set', resource: 'service.api', context: { ticket: 'INC-42' } });
	assert.equal(r.decision, 'allow');
	r = triage.decide({ task: 'oncall', action: 'read', resource: 'secrets.db' });
	assert.equal(r.decision, 'deny');
	assert.match(r.explanation, /denies \*\* secrets\.\*\*/);
	assert.equal(r.error, undefined);
});

test('decide: an unknown condition is read most restrictively and explained', () => {
	const p = Policy.load(writePolicy('unknown', 'task t\n  denies post when env == "prod"\n  allows post\n'));
	const r = p.decide({ task: 't', action: 'post', resource: 'x' });
	assert.equal(r.decision, 'deny');
	assert.equal(r.unknown, true);
	assert.match(r.explanation, /\(condition unknown because attribute 'env' is missing\)$/);
	assert.equal(p.decide({ task: 't', action: 'post', resource: 'x', context: { env: 'dev' } }).decision, 'allow');
});

test('decide: context values: numbers, bigints and booleans as JS prints them', () => {
	const p = Policy.load(writePolicy('ctx', [
		'task t',
		'  allows a when n == "250"',
		'  allows b when flag == "true"',
		'  allows c when big == "12345678901234567890"',
		'  allows d when n > 3',
		'',
	].join('\n')));
	assert.equal(p.decide({ task: 't', action: 'a', context: { n: 2.5e2 } }).decision, 'allow');
	assert.equal(p.decide({ task: 't', action: 'b', context: { flag: true } }).decision, 'allow');
	assert.equal(p.decide({ task: 't', action: 'b', context: { flag: false } }).decision, 'deny');
	assert.equal(p.decide({ task: 't', action: 'c', context: { big: 12345678901234567890n } }).decision, 'allow');
	assert.equal(p.decide({ task: 't', action: 'd', context: { n: 4 } }).decision, 'allow');
	assert.equal(p.decide({ task: 't', action: 'd', context: { n: '2' } }).decision, 'deny');
	assert.equal(p.decide({ task: 't', action: 'a', resource: null, context: null }).decision, 'deny');
});

test('decide: one to many context attributes all reach the policy', () => {
	const lines = ['task t'];
	for (let n = 1; n <= 6; n++) {
		const cond = Array.from({ length: n }, (_, i) => `a${i} == "v${i}"`).join(' and ');
		lines.push(`  allows act${n} when ${cond}`);
	}
	const p = Policy.load(writePolicy('many', lines.join('\n') + '\n'));
	for (let n = 1; n <= 6; n++) {
		const ctx = Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, `v${i}`]));
		assert.equal(p.decide({ task: 't', action: `act${n}`, context: ctx }).decision, 'allow', `${n} attributes`);
		const wrong = { ...ctx, [`a${n - 1}`]: 'other' };
		assert.equal(p.decide({ task: 't', action: `act${n}`, context: wrong }).decision, 'deny', `${n} attributes, last wrong`);
		const missing = { ...ctx };
		delete missing[`a${n - 1}`];
		assert.equal(p.decide({ task: 't', action: `act${n}`, context: missing }).decision, 'deny');
	}
	// 1024 attributes are fine
	const ctx = Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`a${i}`, `v${i}`]));
	assert.equal(p.decide({ task: 't', action: 'act6', context: ctx }).decision, 'allow');
});

test('the native functions themselves refuse odd calls without crashing', () => {
	const nat = Object.getOwnPropertySymbols(triage).map((k) => triage[k])[0];
	const { result } = require('../build/Release/scope.node');
	const odd = [[], ['triage'], ['triage', 'read', 'forum.a', 'k'], ['triage', 'read', 'forum.a', ['k']],
		['triage', 'read', 'forum.a', ['k', 'v', 'x']], ['triage', 'read', 'forum.a', 1, 'v'],
		['triage', 'read', 'forum.a', 'k', 'v', 'k2'], Array(20).fill('triage'),
		['triage', 'read', 'forum.a', new Proxy(['k', 'v'], { get() { throw new Error('trap'); } })]];
	for (const args of odd) {
		const msg = nat.decide(...args);
		assert.equal(typeof msg, 'string');
		assert.equal(result[0], 2, `deny for ${args.length} arguments`);
		assert.notEqual(result[4], 0);
	}
	for (const args of [[], ['t'], ['t', 'a', 5, 6], ['t', 'a', '{', undefined]]) {
		const out = nat.decideToolCall(...args);
		assert.ok(Array.isArray(out));
		assert.equal(result[0], 2);
	}
	const { NativePolicy } = require('../build/Release/scope.node');
	const empty = new NativePolicy();
	assert.equal(typeof empty.decide, 'undefined'); // only load() gives decide functions
	assert.throws(() => empty.item(0), ScopeError);
});

test('malformed requests are deny with SCOPE_EINVAL, never a throw', () => {
	const ok = { task: 'triage', action: 'read', resource: 'forum.a' };
	assert.equal(triage.decide(ok).decision, 'allow');
	const bad = [
		undefined, null, 'triage read forum.a', 42, [],
		{ ...ok, task: undefined }, { ...ok, task: 7 }, { ...ok, action: '' }, { ...ok, action: undefined },
		{ ...ok, action: ['read'] }, { ...ok, resource: 12 }, { ...ok, resource: {} },
		{ ...ok, task: 'tri\0age' }, { ...ok, action: 'read\0' }, { ...ok, resource: 'forum.a\0.b' },
		{ ...ok, context: { 'k\0': 'v' } }, { ...ok, context: { k: 'v\0' } }, { ...ok, context: { '': 'v' } },
		{ ...ok, context: { k: { nested: 1 } } }, { ...ok, context: { k: ['a'] } }, { ...ok, context: { k: null } },
		{ ...ok, context: { k: undefined } }, { ...ok, context: { k: () => 'v' } }, { ...ok, context: { k: Symbol('s') } },
		{ ...ok, context: { k: NaN } }, { ...ok, context: { k: Infinity } }, { ...ok, context: ['a', 'b'] },
		{ ...ok, context: 'channel=internal' }, { ...ok, task: 'tri\ud800age' }, { ...ok, context: { k: '\udc00' } },
		{ ...ok, context: { '\ud800': 'v' } },
		{ ...ok, context: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`k${i}`, 'v'])) },
	];
	for (const rq of bad) {
		const r = triage.decide(rq);
		isDenyError(r);
		assert.equal(r.item, null);
	}
	// a String object is not a string
	isDenyError(triage.decide({ ...ok, task: new String('triage') })); // eslint-disable-line no-new-wrappers
});

test('hostile request objects: throwing getters, proxies, re-entrancy, close from a getter', () => {
	const ok = { task: 'triage', action: 'read', resource: 'forum.a' };
	isDenyError(triage.decide({ ...ok, get task() { throw new Error('boom'); } }));
	isDenyError(triage.decide(new Proxy({}, { get() { throw new Error('trap'); } })));
	isDenyError(triage.decide({ ...ok, context: new Proxy({}, { ownKeys() { throw new Error('keys'); } }) }));
	isDenyError(triage.decide({ ...ok, context: { get k() { throw new Error('value'); } } }));
	// getters run once, in JS, before the native call: one that decides
	// again, or closes the policy, cannot pull anything from under it
	let inner;
	let calls = 0;
	const r = triage.decide({ ...ok, context: { get k() { calls++; inner = triage.decide(ok); return 'v'; } } });
	assert.equal(calls, 1);
	assert.equal(inner.decision, 'allow');
	assert.equal(r.decision, 'allow');
	const p = Policy.load(TRIAGE);
	const r3 = p.decide({ ...ok, context: { get k() { p.close(); return 'v'; } } });
	isDenyError(r3);
	assert.match(r3.error.message, /policy closed/);
	const h = new Handle(Policy.load(TRIAGE));
	const r4 = h.decide({ ...ok, context: { get k() { h.swap(null); return 'v'; } } });
	isDenyError(r4, 'SCOPE_ENOPOLICY');
	h.close();
	// inherited members are not attributes
	const proto = { channel: 'internal' };
	const post = triage.decide({ task: 'triage', action: 'post', resource: 'forum.help', context: Object.create(proto) });
	assert.equal(post.decision, 'deny');
	p.close();
	isDenyError(p.decide(ok));
	assert.match(p.decide(ok).error.message, /policy closed/);
});

test('huge strings: decided (or refused) without a crash, the arena shrinks back', () => {
	const big = 'forum.' + 'a'.repeat(8 << 20);
	assert.equal(triage.decide({ task: 'triage', action: 'read', resource: big }).decision, 'allow');
	assert.equal(triage.decide({ task: 'triage', action: 'read', resource: 'forum.x', context: { k: big } }).decision, 'allow');
	const huge = 'x'.repeat(65 << 20);
	const r = triage.decide({ task: 'triage', action: 'read', resource: huge });
	isDenyError(r);
	assert.match(r.error.message, /too large/);
	const multibyte = 'forum.' + '\u00e9\u4e2d\u{1f600}'.repeat(1 << 16);
	assert.equal(triage.decide({ task: 'triage', action: 'read', resource: multibyte }).decision, 'allow');
	assert.equal(triage.decide({ task: 'triage', action: 'read', resource: 'forum.a' }).decision, 'allow');
});

// ---- loading ----------------------------------------------------------------------

test('load: a source (compiled by scopec), an image file, bytes', () => {
	const image = compile(TRIAGE);
	assert.ok(isBytecode(image));
	assert.ok(!isBytecode(fs.readFileSync(TRIAGE)));
	const file = path.join(tmp, 'triage.scopec');
	fs.writeFileSync(file, image);
	for (const p of [Policy.load(file), Policy.load(image), Policy.load(new Uint8Array(image)),
		Policy.load(image.buffer.slice(image.byteOffset, image.byteOffset + image.length))]) {
		assert.equal(p.decide({ task: 'triage', action: 'read', resource: 'forum.x' }).decision, 'allow');
		assert.equal(p.itemCount, triage.itemCount);
		assert.equal(p.taskCount, triage.taskCount);
		assert.ok(p.taskCount >= 3);
		assert.equal(p.imageSize, image.length);
	}
	const stripped = Policy.load(compile(TRIAGE, { strip: true }));
	assert.match(stripped.decide({ task: 'triage', action: 'read', resource: 'forum.x' }).explanation, /^item 0 \(stripped\)$/);
	assert.throws(() => triage.item(10000), { code: 'SCOPE_ERANGE' });
	assert.throws(() => triage.item(-1), { code: 'SCOPE_ERANGE' });
	assert.throws(() => triage.item('0'), { code: 'SCOPE_ERANGE' });
	assert.throws(() => new Policy(), TypeError);
});

test('load failures throw ScopeError with the library code', () => {
	assert.throws(() => Policy.load(path.join(tmp, 'missing.scopec')), { name: 'ScopeError', code: 'SCOPE_EIO', errno: 3 });
	const srcNoExt = path.join(tmp, 'source.txt');
	fs.copyFileSync(TRIAGE, srcNoExt);
	assert.throws(() => Policy.load(srcNoExt), { code: 'SCOPE_EFORMAT' });
	assert.throws(() => Policy.load(Buffer.alloc(0)), (e) => e instanceof ScopeError && e.errno > 0);
	assert.throws(() => Policy.load(Buffer.from('task t allows x')), { code: 'SCOPE_EFORMAT' });
	assert.throws(() => Policy.load(writePolicy('broken', 'task t\n  allows\n')), { code: 'SCOPE_ECOMPILE' });
	for (const v of [undefined, null, 42, {}, [], () => 0, 'a\0b']) {
		assert.throws(() => Policy.load(v), ScopeError);
	}
});

test('corrupted images are rejected: every truncation, flipped bytes everywhere', () => {
	const image = compile(TRIAGE);
	for (let n = 0; n < image.length; n++) {
		assert.throws(() => Policy.load(image.subarray(0, n)), ScopeError, `truncated to ${n}`);
	}
	let rejected = 0;
	for (let i = 0; i < image.length; i++) {
		for (const mask of [0x01, 0x80, 0xff]) {
			const bad = Buffer.from(image);
			bad[i] ^= mask;
			try {
				const p = Policy.load(bad);
				// only a flip the checksum cannot see may load; it must still decide
				p.decide({ task: 'triage', action: 'read', resource: 'forum.x' });
			} catch (e) {
				assert.ok(e instanceof ScopeError);
				assert.ok(['SCOPE_EFORMAT', 'SCOPE_EVERSION', 'SCOPE_ELENGTH', 'SCOPE_ECHECKSUM', 'SCOPE_EVERIFY', 'SCOPE_EREGEX'].includes(e.code), e.code);
				rejected++;
			}
		}
	}
	assert.equal(rejected, image.length * 3, 'every flipped byte is caught');
	const longer = Buffer.concat([image, Buffer.from([0])]);
	assert.throws(() => Policy.load(longer), ScopeError);
});

// ---- hot swap ----------------------------------------------------------------------

const A_SRC = 'task t\n  allows read doc.*\n  allows fetch when arg.n == "1"\n';
const B_SRC = 'task t\n  denies read doc.*\n  denies fetch\n';

test('handle: empty, swap, a bad image keeps the old policy, a Policy is taken over', () => {
	const h = new Handle();
	isDenyError(h.decide({ task: 't', action: 'read', resource: 'doc.a' }), 'SCOPE_ENOPOLICY');
	h.swap(writePolicy('a', A_SRC));
	assert.equal(h.decide({ task: 't', action: 'read', resource: 'doc.a' }).decision, 'allow');
	const good = compile(writePolicy('b', B_SRC));
	const bad = Buffer.from(good);
	bad[bad.length - 1] ^= 0x55;
	assert.throws(() => h.swap(bad), ScopeError);
	assert.throws(() => h.swap(path.join(tmp, 'nope.scopec')), { code: 'SCOPE_EIO' });
	assert.throws(() => h.swap(42), ScopeError);
	assert.equal(h.decide({ task: 't', action: 'read', resource: 'doc.a' }).decision, 'allow', 'old policy stays');
	const p = Policy.load(good);
	h.swap(p);
	assert.equal(h.decide({ task: 't', action: 'read', resource: 'doc.a' }).decision, 'deny');
	assert.match(h.decide({ task: 't', action: 'read', resource: 'doc.a' }).explanation, /b\.scope:2:10: denies read doc\.\*/);
	isDenyError(p.decide({ task: 't', action: 'read', resource: 'doc.a' })); // given to the handle
	assert.throws(() => h.swap(p), ScopeError); // twice: it is gone
	h.swap(null);
	isDenyError(h.decide({ task: 't', action: 'read', resource: 'doc.a' }), 'SCOPE_ENOPOLICY');
	const id = h.id;
	assert.equal(Handle.attach(id).id, id);
	h.close();
	isDenyError(h.decide({ task: 't', action: 'read', resource: 'doc.a' }));
	assert.throws(() => Handle.attach(0), ScopeError);
	assert.throws(() => Handle.attach(1.5), ScopeError);
	assert.throws(() => Handle.attach('1'), ScopeError);
	assert.throws(() => Handle.attach(4294967295), ScopeError);
});

test('hot swap while worker threads decide: every result is one whole policy', async () => {
	const a = compile(writePolicy('wa', A_SRC));
	const b = compile(writePolicy('wb', B_SRC));
	const h = new Handle(Policy.load(a));
	const WORKERS = 3;
	const stop = new Int32Array(new SharedArrayBuffer(4));
	const src = `
		const { parentPort, workerData } = require('node:worker_threads');
		const { Handle } = require(workerData.index);
		const h = Handle.attach(workerData.id);
		const stop = workerData.stop;
		const seen = { allow: 0, deny: 0, bad: [] };
		const rq = { task: 't', action: 'read', resource: 'doc.x', context: { n: 1 } };
		const tc = { task: 't', tool: 'fetch', arguments: { n: 1 } };
		parentPort.postMessage('ready');
		let i = 0;
		while (Atomics.load(stop, 0) === 0) {
			const r = (i++ & 7) === 0 ? h.decideToolCall(tc) : h.decide(rq);
			if (r.error) seen.bad.push(r.error.message);
			else if (r.decision === 'allow' && /wa\\.scope:[23]:10: allows (read doc|fetch)/.test(r.explanation)) seen.allow++;
			else if (r.decision === 'deny' && /wb\\.scope:[23]:10: denies (read doc|fetch)/.test(r.explanation)) seen.deny++;
			else seen.bad.push(JSON.stringify(r));
		}
		h.close();
		parentPort.postMessage(seen);
	`;
	const workers = [];
	const ready = [];
	const results = [];
	for (let w = 0; w < WORKERS; w++) {
		const worker = new Worker(src, { eval: true, workerData: { index: path.join(__dirname, '..'), id: h.id, stop } });
		workers.push(worker);
		let onReady;
		ready.push(new Promise((resolve) => { onReady = resolve; }));
		results.push(new Promise((resolve, reject) => {
			worker.on('message', (m) => (m === 'ready' ? onReady() : resolve(m)));
			worker.once('error', reject);
		}));
	}
	await Promise.all(ready);
	let swaps = 0;
	const t0 = Date.now();
	while (Date.now() - t0 < 1000 || swaps < 200) {
		h.swap(swaps % 2 ? a : b);
		swaps++;
		if (swaps % 50 === 0) await new Promise((r) => setImmediate(r));
	}
	Atomics.store(stop, 0, 1);
	const seen = await Promise.all(results);
	for (const s of seen) {
		assert.deepEqual(s.bad.slice(0, 3), []);
		assert.ok(s.allow > 0 && s.deny > 0, JSON.stringify(s));
	}
	h.close();
});

// ---- request forming ----------------------------------------------------------------

test('decideToolCall: canonical paths, .. traversal and symbolic links, most restrictive wins', () => {
	const docs = path.join(tmp, 'docs');
	fs.mkdirSync(path.join(docs, 'sub'), { recursive: true });
	fs.mkdirSync(path.join(tmp, 'private'), { recursive: true });
	fs.writeFileSync(path.join(docs, 'a.md'), 'a');
	fs.writeFileSync(path.join(tmp, 'private', 'key'), 'k');
	fs.symlinkSync(path.join(tmp, 'private'), path.join(docs, 'link'));
	const p = Policy.load(writePolicy('fs', [
		'task coder',
		`  allows fs.read "${docs}/**"`,
		`  allows fs.write "${docs}/sub/**" when arg.mode == "append"`,
		`  denies ** "${tmp}/private/**"`,
		'',
	].join('\n')));
	const call = (tool, args, cwd = docs) => p.decideToolCall({ task: 'coder', tool, arguments: args, cwd });
	let r = call('fs.read', { path: 'sub/../a.md' });
	assert.deepEqual([r.decision, r.resource, r.requests], ['allow', path.join(docs, 'a.md'), 1]);
	r = call('fs.read', { path: '../private/key' });
	assert.deepEqual([r.decision, r.resource], ['deny', path.join(tmp, 'private', 'key')]);
	assert.match(r.explanation, /denies \*\*/);
	r = call('fs.read', { path: 'link/key' }); // inside docs by name, outside by the link
	assert.deepEqual([r.decision, r.resource], ['deny', path.join(tmp, 'private', 'key')]);
	r = call('fs.read', { path: `${docs}/./sub//x/../../a.md` }, '/');
	assert.deepEqual([r.decision, r.resource], ['allow', path.join(docs, 'a.md')]);
	r = call('fs.read', { paths: ['a.md', 'link/key', 'sub/x'] });
	assert.deepEqual([r.decision, r.request, r.requests], ['deny', 1, 3]);
	r = call('fs.write', { path: 'sub/new.md', mode: 'append' });
	assert.equal(r.decision, 'allow');
	r = call('fs.write', { path: 'sub/new.md', mode: 'truncate' });
	assert.equal(r.decision, 'deny');
	r = call('fs.write', JSON.stringify({ path: 'sub/new.md', mode: 'append' }));
	assert.equal(r.decision, 'allow', 'arguments as JSON text');
	assert.equal(call('fs.read', {}).decision, 'deny'); // no resource argument: one request, empty resource
	assert.equal(call('fs.read', {}).requests, 1);
});

test('decideToolCall: URLs', () => {
	const p = Policy.load(writePolicy('web', 'task r\n  allows http.get "https://example.com/docs/**"\n'));
	const get = (url) => p.decideToolCall({ task: 'r', tool: 'http.get', arguments: { url } });
	let r = get('HTTPS://Example.COM:443/docs/a/../b?q=1#frag');
	assert.deepEqual([r.decision, r.resource], ['allow', 'https://example.com/docs/b?q=1']);
	r = get('https://example.com/docs/../admin');
	assert.deepEqual([r.decision, r.resource], ['deny', 'https://example.com/admin']);
	r = get('https://example.com/%64ocs/x');
	assert.deepEqual([r.decision, r.resource], ['allow', 'https://example.com/docs/x']);
	isDenyError(get('/relative/only'), 'SCOPE_EURL');
	isDenyError(get('http://[bad'), 'SCOPE_EURL');
});

test('decideToolCall: malformed calls are deny', () => {
	const ok = { task: 'triage', tool: 'read', arguments: { path: 'forum.x' } };
	assert.equal(triage.decideToolCall(ok).error, undefined);
	const cyclic = {};
	cyclic.self = cyclic;
	const bad = [
		undefined, null, 'read', { ...ok, task: 1 }, { ...ok, tool: '' }, { ...ok, tool: undefined },
		{ ...ok, arguments: '{not json' }, { ...ok, arguments: '[1,2]' }, { ...ok, arguments: [1] },
		{ ...ok, arguments: cyclic }, { ...ok, arguments: { n: 1n } }, { ...ok, arguments: { path: 5 } },
		{ ...ok, arguments: { path: 'a\0b' } }, { ...ok, arguments: '{"path":"a","path":"b"}' },
		{ ...ok, cwd: 'rel\0' }, { ...ok, cwd: '' }, { ...ok, cwd: 7 }, { ...ok, task: 'x\0' },
		{ ...ok, arguments: { paths: ['a', 3] } },
	];
	for (const c of bad) {
		const r = triage.decideToolCall(c);
		assert.equal(r.decision, 'deny', String(c && c.tool));
		assert.equal(r.why, 'error');
		assert.ok(r.error instanceof ScopeError);
	}
	assert.equal(triage.decideToolCall({ ...ok, cwd: 'relative/dir' }).decision, 'deny');
});

test('canonicalPath and canonicalUrl', () => {
	assert.equal(canonicalPath('a/./b/../c', '/srv'), '/srv/a/c');
	assert.equal(canonicalPath('/x//y/'), '/x/y');
	assert.equal(canonicalPath('rel'), path.join(fs.realpathSync(process.cwd()), 'rel'));
	const home = process.env.HOME;
	assert.equal(canonicalPath('~/f', '/'), path.join(fs.realpathSync(home), 'f'));
	assert.throws(() => canonicalPath('a\0b', '/'), { code: 'SCOPE_EPATH' });
	assert.throws(() => canonicalPath('x', 'relative'), ScopeError);
	assert.throws(() => canonicalPath(5), ScopeError);
	assert.throws(() => canonicalPath('/' + 'a/'.repeat(5000)), { code: 'SCOPE_EPATH' });
	assert.equal(canonicalUrl('HTTP://Example.COM:80/a/./b/../c#x'), 'http://example.com/a/c');
	assert.equal(canonicalUrl('https://h/%7euser'), 'https://h/~user');
	assert.throws(() => canonicalUrl('no scheme'), { code: 'SCOPE_EURL' });
	assert.throws(() => canonicalUrl({}), ScopeError);
	const long = 'https://example.com/' + 'a'.repeat(60000);
	assert.equal(canonicalUrl(long), long);
	assert.throws(() => canonicalUrl('https://example.com/' + 'a'.repeat(100000)), { code: 'SCOPE_EURL' }); // over the 64 KiB input limit
});

// ---- trustedKeys: signed images only (`scopec sign`) ----------------------------

function scopec(...args) {
	require('node:child_process').execFileSync(process.env.SCOPEC || path.join(ROOT, 'scopec'), args, { stdio: 'pipe' });
}

function signedSetup() {
	const d = fs.mkdtempSync(path.join(tmp, 'signed-'));
	for (const k of ['ci', 'other']) scopec('keygen', '--out', path.join(d, k));
	const image = path.join(d, 'triage.scopec');
	fs.writeFileSync(image, compile(TRIAGE));
	const sign = (key) => {
		const out = path.join(d, `triage-${key}.scopec`);
		fs.copyFileSync(image, out);
		scopec('sign', out, '--key', path.join(d, `${key}.pem`));
		return out;
	};
	return { d, image, good: sign('ci'), other: sign('other'), ci: path.join(d, 'ci.pub.pem'),
		 otherPub: path.join(d, 'other.pub.pem') };
}

test('trustedKeys: a signed image loads and decides like the unsigned one', () => {
	const s = signedSetup();
	const want = triage.decide({ task: 'triage', action: 'read', resource: 'forum.general.1' });
	for (const keys of [[s.ci], [fs.readFileSync(s.ci)], [s.otherPub, s.ci]]) {
		for (const src of [s.good, fs.readFileSync(s.good)]) {
			const p = Policy.load(src, { trustedKeys: keys });
			const r = p.decide({ task: 'triage', action: 'read', resource: 'forum.general.1' });
			assert.equal(r.decision, want.decision);
			assert.equal(r.item, want.item);
		}
	}
});

test('trustedKeys: unsigned, source, another key, changed bytes and bad key lists are refused', () => {
	const s = signedSetup();
	const ci = [s.ci];
	const refuse = (src, keys, code) =>
		assert.throws(() => Policy.load(src, { trustedKeys: keys }), { name: 'ScopeError', code });
	refuse(s.image, ci, 'SCOPE_EUNSIGNED');
	refuse(TRIAGE, ci, 'SCOPE_EFORMAT');                 // a source is never signed: not compiled
	refuse(s.other, ci, 'SCOPE_ESIGNATURE');
	const bytes = fs.readFileSync(s.good);
	for (const at of [8, bytes.length >> 1, bytes.length - 70, bytes.length - 1]) {
		const bad = Buffer.from(bytes);
		bad[at] ^= 0x20;
		refuse(bad, ci, 'SCOPE_ESIGNATURE');
	}
	refuse(bytes.subarray(0, bytes.length - 30), ci, 'SCOPE_ESIGNATURE');
	refuse(s.good, [], 'SCOPE_EKEY');
	refuse(s.good, s.ci, 'SCOPE_EKEY');                  // one key, not an array of keys
	refuse(s.good, [path.join(s.d, 'ci.pem')], 'SCOPE_EKEY');   // a private key
	refuse(s.good, [42], 'SCOPE_EKEY');
	refuse(s.good, new Array(17).fill(s.ci), 'SCOPE_EKEY');
	refuse(s.good, [path.join(s.d, 'missing.pem')], 'SCOPE_EIO');
});

test('trustedKeys: a handle takes only policies signed by its keys, the old one stays', () => {
	const s = signedSetup();
	const h = new Handle(s.good, { trustedKeys: [s.ci] });
	const req = { task: 'triage', action: 'read', resource: 'forum.general.1' };
	assert.equal(h.decide(req).decision, 'allow');
	assert.throws(() => h.swap(s.image), { code: 'SCOPE_EUNSIGNED' });
	assert.throws(() => h.swap(TRIAGE), { code: 'SCOPE_EFORMAT' });
	assert.throws(() => h.swap(Policy.load(s.image)), { code: 'SCOPE_EUNSIGNED' });
	assert.throws(() => h.swap(Policy.load(s.other, { trustedKeys: [s.otherPub] })), { code: 'SCOPE_EUNSIGNED' });
	assert.equal(h.decide(req).decision, 'allow', 'the old policy stays');
	h.swap(Policy.load(s.good, { trustedKeys: [s.ci] }));
	h.swap(fs.readFileSync(s.good));
	const again = Handle.attach(h.id);                    // the keys are the handle's, not the object's
	assert.throws(() => again.swap(s.image), { code: 'SCOPE_EUNSIGNED' });
	assert.equal(again.decide(req).decision, 'allow');
	h.close();
	assert.throws(() => new Handle(s.image, { trustedKeys: [s.ci] }), { code: 'SCOPE_EUNSIGNED' });
});
