// scope-mcp in front of the real server-filesystem, with the official SDK
// client, on real temporary files. The server is given ROOT (the parent of
// allowed/) so that it would serve every request below itself: each refusal
// here is scope's (baseline.test.mjs shows the server serving them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, fsTree, fsServer, writePolicy, loc, call, readLog, filesPolicy, childrenOf, alive, within, waitFor } from './lib.mjs';

async function files(t, opts = {}) {
	const tree = fsTree(t);
	const { root } = tree;
	fs.mkdirSync(path.join(tree.allowed, 'notes'));
	const policy = writePolicy(root, opts.policyText ?? filesPolicy(root));
	const log = path.join(root, 'decisions.log');
	const conn = await connect(t, { policy, task: 'files', log, server: fsServer(root), ...opts });
	return { ...tree, policy, log, ...conn };
}

const SCOPE = /scope/i;
const DEFAULT_DENY = /no item allows|nothing allow|default.deny/i;

test('an allowed read returns the file content', async (t) => {
	const { client, allowed, stderr } = await files(t);
	const r = await call(client, 'read_text_file', { path: `${allowed}/a.txt` });
	assert.equal(r.isError, false, `${r.text}\n${stderr()}`);
	assert.equal(r.text, 'alpha\n');
	const l = await call(client, 'list_directory', { path: `${allowed}/drafts/../locked` });
	assert.equal(l.isError, false, l.text);
	assert.match(l.text, /\[FILE\] x\.txt/);
});

test('a denied write never reaches the server: file unchanged, isError naming scope and the item', async (t) => {
	const { client, allowed, policy } = await files(t);
	const target = `${allowed}/locked/x.txt`;
	const r = await call(client, 'write_file', { path: target, content: 'overwritten' });
	assert.equal(r.isError, true, r.text);
	assert.match(r.text, SCOPE);
	assert.ok(r.text.includes(loc(policy, `write_file ${allowed}/locked/**`)), `no item location in: ${r.text}`);
	assert.ok(r.text.includes(`denies write_file ${allowed}/locked/**`), `no item text in: ${r.text}`);
	assert.equal(fs.readFileSync(target, 'utf8'), 'original\n');
});

test('a call no item allows is denied and says why (default deny)', async (t) => {
	const { client, root } = await files(t);
	const target = `${root}/outside/new.txt`;
	const r = await call(client, 'write_file', { path: target, content: 'x' });
	assert.equal(r.isError, true, r.text);
	assert.match(r.text, SCOPE);
	assert.match(r.text, DEFAULT_DENY);
	assert.equal(fs.existsSync(target), false);
	const u = await call(client, 'create_directory', { path: `${root}/outside/d` });
	assert.equal(u.isError, true, u.text);
	assert.equal(fs.existsSync(`${root}/outside/d`), false);
});

test('../ traversal out of allowed/ is decided on the canonical path and denied', async (t) => {
	const { client, allowed, root, policy, log } = await files(t);
	const r = await call(client, 'read_text_file', { path: `${allowed}/../secret.txt` });
	assert.equal(r.isError, true, r.text);
	assert.doesNotMatch(r.text, /TOP SECRET/);
	assert.ok(r.text.includes(loc(policy, `** ${root}/secret.txt`)), `not denied by the secret item: ${r.text}`);
	const d = readLog(log).filter((x) => x.type === 'decision' && x.action === 'read_text_file');
	assert.equal(d.at(-1)?.resource, `${root}/secret.txt`, 'logged resource is not canonical');
	const r2 = await call(client, 'read_text_file', { path: `${allowed}/drafts/../../secret.txt` });
	assert.equal(r2.isError, true, r2.text);
	assert.doesNotMatch(r2.text, /TOP SECRET/);
});

test('a symlink inside allowed/ pointing outside is denied (file and directory links)', async (t) => {
	const { client, allowed, root, policy } = await files(t);
	const r = await call(client, 'read_text_file', { path: `${allowed}/link.txt` });
	assert.equal(r.isError, true, r.text);
	assert.doesNotMatch(r.text, /TOP SECRET/);
	assert.ok(r.text.includes(loc(policy, `** ${root}/secret.txt`)), `not decided on the link's target: ${r.text}`);
	// a new file below a directory link: the existing part of the path is resolved
	fs.symlinkSync(`${root}/outside`, `${allowed}/notes/out`);
	const w = await call(client, 'write_file', { path: `${allowed}/notes/out/new.txt`, content: 'x' });
	assert.equal(w.isError, true, w.text);
	assert.match(w.text, SCOPE);
	assert.equal(fs.existsSync(`${root}/outside/new.txt`), false);
	// while a real new file under notes/ is written
	const ok = await call(client, 'write_file', { path: `${allowed}/notes/n.txt`, content: 'note' });
	assert.equal(ok.isError, false, ok.text);
	assert.equal(fs.readFileSync(`${allowed}/notes/n.txt`, 'utf8'), 'note');
});

test('relative and ~ paths cannot reach what the server resolves outside the policy', async (t) => {
	// The server resolves relative paths against its first allowed directory
	// (ROOT) and ~ against $HOME (ROOT here); the proxy runs in allowed/.
	const tree = fsTree(t);
	const { root, allowed } = tree;
	const policy = writePolicy(root, filesPolicy(root));
	const { client } = await connect(t, {
		policy, task: 'files', server: fsServer(root), cwd: allowed, env: { HOME: root },
	});
	for (const p of ['secret.txt', './secret.txt', '~/secret.txt', 'allowed/../secret.txt']) {
		const r = await call(client, 'read_text_file', { path: p });
		assert.doesNotMatch(r.text, /TOP SECRET/, `path ${JSON.stringify(p)} read the secret through scope`);
		assert.equal(r.isError, true, `path ${p}: ${r.text}`);
	}
});

test('--base: relative paths are decided against the directory the server resolves them from', async (t) => {
	const tree = fsTree(t);
	const { root } = tree;
	const policy = writePolicy(root, filesPolicy(root));
	// ~ is the server's $HOME: here allowed/, so ~/a.txt is allowed/a.txt
	const { client } = await connect(t, {
		policy, task: 'files', server: fsServer(root), cwd: tree.allowed, extraArgs: ['--base', root],
		env: { HOME: tree.allowed },
	});
	assert.equal((await call(client, 'read_text_file', { path: 'allowed/a.txt' })).text, 'alpha\n');
	assert.equal((await call(client, 'read_text_file', { path: '~/a.txt' })).text, 'alpha\n');
	const home = await call(client, 'read_text_file', { path: '~/../secret.txt' });
	assert.equal(home.isError, true, home.text);
	assert.doesNotMatch(home.text, /TOP SECRET/);
	const r = await call(client, 'read_text_file', { path: 'secret.txt' });
	assert.equal(r.isError, true, r.text);
	assert.ok(r.text.includes(loc(policy, `** ${root}/secret.txt`)), r.text);
	assert.doesNotMatch(r.text, /TOP SECRET/);
});

test('a dangling symlink inside allowed/ is decided on its target outside', async (t) => {
	const { client, allowed, root, log } = await files(t);
	fs.symlinkSync(`${root}/outside/planted.txt`, `${allowed}/notes/dangling`);
	const r = await call(client, 'write_file', { path: `${allowed}/notes/dangling`, content: 'x' });
	assert.equal(r.isError, true, r.text);
	assert.equal(fs.existsSync(`${root}/outside/planted.txt`), false);
	const d = readLog(log).filter((x) => x.type === 'decision').at(-1);
	assert.deepEqual([d.resource, d.decision], [`${root}/outside/planted.txt`, 'deny']);
});

test('a Unicode-equivalent spelling (NFD) of a denied NFC directory cannot reach it', async (t) => {
	// server-filesystem maps a path that does not exist onto an existing
	// entry with the same NFC form (resolveUnicodeEquivalentPath): the proxy
	// must not decide the NFD spelling as some other, allowed, path.
	const tree = fsTree(t);
	const A = tree.allowed;
	fs.mkdirSync(`${A}/priv\u00e9`);
	fs.writeFileSync(`${A}/priv\u00e9/x.txt`, 'original\n');
	const policy = writePolicy(tree.root, `task files
  allows write_file ${A}/**, read_text_file ${A}/**
  denies ** "${A}/priv\u00e9/**"
`);
	const { client } = await connect(t, { policy, task: 'files', server: fsServer(tree.root) });
	const nfc = await call(client, 'read_text_file', { path: `${A}/priv\u00e9/x.txt` });
	assert.equal(nfc.isError, true, nfc.text);
	const w = await call(client, 'write_file', { path: `${A}/prive\u0301/x.txt`, content: 'overwritten' });
	assert.equal(fs.readFileSync(`${A}/priv\u00e9/x.txt`, 'utf8'), 'original\n', 'wrote into the denied directory');
	assert.equal(w.isError, true, w.text);
	const r = await call(client, 'read_text_file', { path: `${A}/prive\u0301/x.txt` });
	assert.doesNotMatch(r.text, /original/, 'read from the denied directory');
	// an existing non-ASCII name outside the denied directory is still served
	fs.writeFileSync(`${A}/caf\u00e9.txt`, 'coffee\n');
	assert.equal((await call(client, 'read_text_file', { path: `${A}/caf\u00e9.txt` })).text, 'coffee\n');
});

test('move_file with an allowed source and a denied destination is denied; both paths are decided', async (t) => {
	const { client, allowed, root } = await files(t);
	const r = await call(client, 'move_file', { source: `${allowed}/b.txt`, destination: `${root}/outside/b.txt` });
	assert.equal(r.isError, true, r.text);
	assert.match(r.text, SCOPE);
	assert.equal(fs.readFileSync(`${allowed}/b.txt`, 'utf8'), 'bravo\n');
	assert.equal(fs.existsSync(`${root}/outside/b.txt`), false);
	const back = await call(client, 'move_file', { source: `${root}/secret.txt`, destination: `${allowed}/s.txt` });
	assert.equal(back.isError, true, back.text);
	assert.equal(fs.existsSync(`${allowed}/s.txt`), false);
	const ok = await call(client, 'move_file', { source: `${allowed}/b.txt`, destination: `${allowed}/notes/b.txt` });
	assert.equal(ok.isError, false, ok.text);
	assert.equal(fs.readFileSync(`${allowed}/notes/b.txt`, 'utf8'), 'bravo\n');
});

test('read_multiple_files: every path is decided, one denied path denies the call', async (t) => {
	const { client, allowed } = await files(t);
	const ok = await call(client, 'read_multiple_files', { paths: [`${allowed}/a.txt`, `${allowed}/b.txt`] });
	assert.equal(ok.isError, false, ok.text);
	assert.match(ok.text, /alpha/);
	assert.match(ok.text, /bravo/);
	const r = await call(client, 'read_multiple_files', { paths: [`${allowed}/a.txt`, `${allowed}/../secret.txt`] });
	assert.equal(r.isError, true, r.text);
	assert.doesNotMatch(r.text, /TOP SECRET/);
	assert.doesNotMatch(r.text, /alpha/);
});

test('tools/list hides the tools the task can never be allowed or asked', async (t) => {
	const tree = fsTree(t);
	const A = tree.allowed;
	const text = `task reader
  allows read_text_file ${A}/**, read_multiple_files ${A}/**, list_directory ${A}/**
  allows get_file_info ${A}/**
task * denies ** /root/**
task writer
  allows write_file ${A}/**
`;
	const policy = writePolicy(tree.root, text);
	const direct = await connect(t, { direct: true, server: fsServer(tree.root) });
	const all = (await direct.client.listTools()).tools.map((x) => x.name).sort();
	const { client } = await connect(t, { policy, task: 'reader', server: fsServer(tree.root) });
	const listed = (await client.listTools()).tools;
	assert.deepEqual(listed.map((x) => x.name).sort(),
		['get_file_info', 'list_directory', 'read_multiple_files', 'read_text_file']);
	for (const hidden of ['write_file', 'edit_file', 'move_file', 'create_directory'])
		assert.ok(all.includes(hidden), `server lists no ${hidden}`);
	// the listed tools are the server's own descriptions, unchanged
	const full = (await direct.client.listTools()).tools;
	for (const tool of listed) assert.deepEqual(tool, full.find((x) => x.name === tool.name));
	// a hidden tool called anyway is still denied
	const w = await call(client, 'write_file', { path: `${A}/w.txt`, content: 'x' });
	assert.equal(w.isError, true, w.text);
	assert.equal(fs.existsSync(`${A}/w.txt`), false);
});

test('200 concurrent calls are each answered with their own response', async (t) => {
	const { client, allowed, root } = await files(t);
	const N = 200;
	fs.mkdirSync(`${allowed}/many`);
	for (let i = 0; i < N; i++) fs.writeFileSync(`${allowed}/many/f${i}.txt`, `content of file ${i}\n`);
	// every fifth call is denied by the proxy itself: its answers must interleave
	// with the server's without taking another call's id
	const results = await Promise.all(Array.from({ length: N }, (_, i) => call(client, 'read_text_file', {
		path: i % 5 === 4 ? `${root}/outside/../secret.txt` : `${allowed}/many/f${i}.txt`,
	})));
	results.forEach((r, i) => {
		if (i % 5 === 4) {
			assert.equal(r.isError, true, `call ${i}: ${r.text}`);
			assert.doesNotMatch(r.text, /TOP SECRET/);
		} else {
			assert.equal(r.isError, false, `call ${i}: ${r.text}`);
			assert.equal(r.text, `content of file ${i}\n`, `call ${i} got another call's answer`);
		}
	});
});

test('the client closing stdin ends the proxy and its server; SIGTERM too', async (t) => {
	const a = await files(t);
	const server = childrenOf(a.pid);
	assert.equal(server.length, 1, `children of the proxy: ${server}`);
	a.proc.stdin.end();
	assert.deepEqual(await within(a.exited, 5000, 'the proxy to exit at end of input'), { code: 0, signal: null });
	await waitFor(() => !alive(server[0]), 5000, 'the server to exit');

	const b = await files(t);
	const server2 = childrenOf(b.pid);
	process.kill(b.pid, 'SIGTERM');
	const how = await within(b.exited, 5000, 'the proxy to exit on SIGTERM');
	assert.ok(how.signal === 'SIGTERM' || how.code === 0 || how.code === 143, JSON.stringify(how));
	await waitFor(() => !alive(server2[0]), 5000, 'the server to exit');
});
