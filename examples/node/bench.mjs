// bench.mjs — median ns per decide() and per decideToolCall() from JS,
// measured in-process: ROUNDS rounds of N calls each, the median round.
//
//   node bench.mjs            (make node-bench)
//   BENCH_ROUNDS=31 BENCH_N=200000 node bench.mjs

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { Policy, Handle } = require('./index.js');
const here = path.dirname(fileURLToPath(import.meta.url));
const TRIAGE = path.join(here, '..', 'triage.scope');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 21);
const N = Number(process.env.BENCH_N || 100000);

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s[s.length >> 1];
}

function bench(name, fn, n = N) {
	for (let i = 0; i < Math.min(n, 20000); i++) fn(); // warm up (JIT)
	const per = [];
	for (let r = 0; r < ROUNDS; r++) {
		const t0 = process.hrtime.bigint();
		for (let i = 0; i < n; i++) fn();
		per.push(Number(process.hrtime.bigint() - t0) / n);
	}
	const m = median(per);
	console.log(`${name.padEnd(58)} ${m.toFixed(0).padStart(7)} ns   (min ${Math.min(...per).toFixed(0)}, ${ROUNDS}x${n})`);
	return m;
}

const policy = Policy.load(TRIAGE);
const handle = new Handle(Policy.load(TRIAGE));

const read = { task: 'triage', action: 'read', resource: 'forum.general.42' };
const post = { task: 'triage', action: 'post', resource: 'forum.help', context: { channel: 'internal' } };
const oncall = { task: 'oncall', action: 'config.set', resource: 'service.api', context: { ticket: 'INC-1234' } };
const denied = { task: 'triage', action: 'delete', resource: 'forum.general.42' };
for (const [rq, want] of [[read, 'allow'], [post, 'ask'], [oncall, 'allow'], [denied, 'deny']]) {
	const got = policy.decide(rq).decision;
	if (got !== want) throw new Error(`bench: ${JSON.stringify(rq)} is ${got}, not ${want}`);
}

console.log(`scope Node binding, ${process.version}, median of ${ROUNDS} rounds`);
const results = {};
results.decide = bench('policy.decide  allow, no context', () => policy.decide(read));
bench('policy.decide  ask, one context attribute', () => policy.decide(post));
bench('policy.decide  allow, regex condition (matches)', () => policy.decide(oncall));
bench('policy.decide  deny (denies item)', () => policy.decide(denied));
bench('handle.decide  allow, no context', () => handle.decide(read));
results.tool = bench('policy.decideToolCall  path argument (canonical, realpath)', () => policy.decideToolCall(
	{ task: 'triage', tool: 'read', arguments: { path: 'docs/../README.md', n: 3 }, cwd: here }), N / 10);
bench('policy.decideToolCall  no resource argument', () => policy.decideToolCall(
	{ task: 'triage', tool: 'read', arguments: '{"q":"x"}' }), N / 4);
console.log(`median ns per decide(): ${results.decide.toFixed(0)}; per decideToolCall(): ${results.tool.toFixed(0)}`);
