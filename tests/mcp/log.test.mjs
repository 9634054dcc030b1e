// The decision log (gateway format), `scopec suggest` on it, and --shadow
// with `scopec shadow-report`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, fsTree, fsServer, writePolicy, call, readLog, scopec, filesPolicy, loc } from './lib.mjs';

const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('one decision record per decision, in the gateway format', async (t) => {
	const { root, allowed } = fsTree(t);
	const policy = writePolicy(root, filesPolicy(root));
	const log = path.join(root, 'decisions.log');
	const { client } = await connect(t, { policy, task: 'files', log, server: fsServer(root) });
	assert.equal((await call(client, 'read_text_file', { path: `${allowed}/a.txt`, head: 1 })).text, 'alpha');
	assert.equal((await call(client, 'write_file', { path: `${allowed}/locked/x.txt`, content: 'x' })).isError, true);
	await call(client, 'move_file', { source: `${allowed}/a.txt`, destination: `${root}/outside/a.txt` });
	const dec = readLog(log).filter((x) => x.type === 'decision');
	const [read, write, ...move] = dec;
	for (const k of ['type', 'time', 'task', 'action', 'resource', 'attributes', 'decision', 'reason', 'item', 'location', 'explain', 'policy'])
		assert.ok(k in read, `decision record without ${k}: ${JSON.stringify(read)}`);
	assert.match(read.time, RFC3339_MS);
	assert.equal(read.task, 'files');
	assert.equal(read.action, 'read_text_file');
	assert.equal(read.resource, `${allowed}/a.txt`);
	assert.equal(read.attributes['arg.head'], '1');
	assert.equal(read.decision, 'allow');
	assert.equal(read.reason, 'item');
	assert.ok(read.location.endsWith(loc(policy, `read_text_file ${allowed}/**`)), read.location);
	assert.match(read.explain, new RegExp(`allows read_text_file ${allowed}/\\*\\*`));
	assert.match(read.policy, /^sha256:[0-9a-f]{64}$/);
	assert.equal(write.decision, 'deny');
	assert.ok(write.location.endsWith(loc(policy, `write_file ${allowed}/locked/**`)), write.location);
	assert.equal(write.attributes['arg.content'], 'x');
	// move_file: one decision per resource
	assert.deepEqual(move.map((x) => [x.action, x.resource, x.decision]).sort(), [
		['move_file', `${allowed}/a.txt`, 'allow'],
		['move_file', `${root}/outside/a.txt`, 'deny'],
	].sort());
	assert.equal(dec.length, 4, JSON.stringify(dec));
	assert.ok(fs.existsSync(`${allowed}/a.txt`), 'moved although the destination was denied');
});

test('scopec suggest learns a least-privilege policy from the log that scopec check and test accept', async (t) => {
	const { root, allowed } = fsTree(t);
	for (const n of ['c', 'd', 'e']) fs.writeFileSync(`${allowed}/${n}.txt`, n);
	// a permissive policy to learn from
	const policy = writePolicy(root, `task files\n  allows read_text_file ${root}/**, list_directory ${root}/**\n`);
	const log = path.join(root, 'decisions.log');
	const { client } = await connect(t, { policy, task: 'files', log, server: fsServer(root) });
	for (const n of ['a', 'b', 'c', 'd', 'e']) assert.equal((await call(client, 'read_text_file', { path: `${allowed}/${n}.txt` })).isError, false);
	assert.equal((await call(client, 'list_directory', { path: `${allowed}/drafts` })).isError, false);
	const s = scopec('suggest', log);
	assert.equal(s.status, 0, s.stderr);
	assert.match(s.stdout, /task files/);
	assert.ok(s.stdout.includes(`read_text_file ${allowed}/*`), s.stdout);
	assert.ok(s.stdout.includes(`list_directory ${allowed}/drafts`), s.stdout);
	assert.doesNotMatch(s.stdout, /secret/);
	const out = writePolicy(root, s.stdout, 'suggested.scope');
	const c = scopec('check', out);
	assert.equal(c.status, 0, c.stdout + c.stderr);
	const tt = scopec('test', out);
	assert.equal(tt.status, 0, tt.stdout + tt.stderr);
	assert.match(tt.stdout, /[1-9]\d* passed, 0 failed/);
});

test('--shadow decides a candidate on every call without enforcing it; shadow-report shows the change', async (t) => {
	const { root, allowed } = fsTree(t);
	const policy = writePolicy(root, filesPolicy(root));
	const candidate = filesPolicy(root).replace('  allows move_file', `  allows write_file ${root}/outside/**\n  allows move_file`);
	assert.notEqual(candidate, filesPolicy(root));
	const shadow = writePolicy(root, candidate, 'candidate.scope');
	const log = path.join(root, 'decisions.log');
	const { client } = await connect(t, { policy, task: 'files', log, shadow, server: fsServer(root) });
	const w = await call(client, 'write_file', { path: `${root}/outside/o.txt`, content: 'x' });
	assert.equal(w.isError, true, 'the candidate was enforced');
	assert.equal(fs.existsSync(`${root}/outside/o.txt`), false);
	assert.equal((await call(client, 'read_text_file', { path: `${allowed}/a.txt` })).text, 'alpha\n');
	const sh = readLog(log).filter((x) => x.type === 'shadow');
	assert.equal(sh.length, 1, JSON.stringify(sh));
	assert.equal(sh[0].change, 'widen');
	assert.equal(sh[0].enforced.decision, 'deny');
	assert.equal(sh[0].candidate.decision, 'allow');
	const r = scopec('shadow-report', log);
	assert.match(r.stdout, new RegExp(`deny -> allow: files write_file ${root}/outside/o\\.txt`), r.stdout + r.stderr);
});
