// `asks` items: the proxy asks the client (elicitation/create, form mode)
// and forwards the call only on an explicit approval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, fsTree, fsServer, writePolicy, call, readLog, within, filesPolicy } from './lib.mjs';

async function drafts(t, opts) {
	const tree = fsTree(t);
	fs.mkdirSync(path.join(tree.allowed, 'notes'));
	const policy = writePolicy(tree.root, filesPolicy(tree.root));
	const log = path.join(tree.root, 'decisions.log');
	const conn = await connect(t, { policy, task: 'files', log, server: fsServer(tree.root), ...opts });
	return { ...tree, policy, log, ...conn, target: `${tree.allowed}/drafts/reply.md` };
}

const NOT_APPROVED = /approval/i;

test('ask: an accepting client gets the call forwarded (file written); the question names task, call, resource, item', async (t) => {
	const asked = [];
	const { client, target, allowed, log } = await drafts(t, {
		elicit: (req) => { asked.push(req.params); return { action: 'accept', content: { approve: true } }; },
	});
	const r = await call(client, 'write_file', { path: target, content: 'draft 1' });
	assert.equal(r.isError, false, r.text);
	assert.equal(fs.readFileSync(target, 'utf8'), 'draft 1');
	assert.equal(asked.length, 1);
	const q = asked[0];
	assert.ok(q.mode === undefined || q.mode === 'form', `mode ${q.mode}`);
	for (const part of ['files', 'write_file', target, `asks write_file ${allowed}/drafts/**`])
		assert.ok(q.message.includes(part), `the question does not name ${part}: ${q.message}`);
	assert.equal(q.requestedSchema.type, 'object');
	assert.deepEqual(Object.keys(q.requestedSchema.properties), ['approve']);
	assert.equal(q.requestedSchema.properties.approve.type, 'boolean');
	const d = readLog(log).filter((x) => x.type === 'decision' && x.action === 'write_file');
	assert.equal(d.at(-1)?.decision, 'ask');
});

test('ask: accept with approve false, decline and cancel are all denied, nothing written', async (t) => {
	const answers = [
		{ action: 'accept', content: { approve: false } },
		{ action: 'decline' },
		{ action: 'cancel' },
		{ action: 'accept', content: {} },
	];
	let n = 0;
	const { client, target } = await drafts(t, { elicit: () => answers[n++] });
	for (const a of answers) {
		const r = await call(client, 'write_file', { path: target, content: 'nope' });
		assert.equal(r.isError, true, `${JSON.stringify(a)}: ${r.text}`);
		assert.match(r.text, NOT_APPROVED, JSON.stringify(a));
		assert.equal(fs.existsSync(target), false, `written after ${JSON.stringify(a)}`);
	}
	assert.equal(n, answers.length, 'not asked once per call');
});

test('ask: a silent client is denied after --ask-timeout while other calls keep flowing', async (t) => {
	let askedAt;
	const { client, target, allowed } = await drafts(t, {
		askTimeout: 2,
		elicit: () => { askedAt = Date.now(); return new Promise(() => {}); }, // never answers
	});
	const start = Date.now();
	const pending = call(client, 'write_file', { path: target, content: 'late' });
	let settled = false;
	pending.finally(() => { settled = true; });
	// while the ask waits, a read is answered
	const r = await call(client, 'read_text_file', { path: `${allowed}/a.txt` });
	assert.equal(r.text, 'alpha\n');
	assert.equal(settled, false, 'the ask ended before the read was answered');
	const w = await within(pending, 15000, 'the unanswered ask');
	const took = Date.now() - start;
	assert.ok(askedAt, 'the client was never asked');
	assert.equal(w.isError, true, w.text);
	assert.match(w.text, NOT_APPROVED);
	assert.ok(took >= 1800 && took < 8000, `denied after ${took} ms, --ask-timeout 2`);
	assert.equal(fs.existsSync(target), false);
});

test('ask: a client without the elicitation capability is denied with "approval required"', async (t) => {
	const { client, target } = await drafts(t, {});
	const r = await call(client, 'write_file', { path: target, content: 'x' });
	assert.equal(r.isError, true, r.text);
	assert.match(r.text, /approval/i);
	assert.match(r.text, /not given|required/i);
	assert.equal(fs.existsSync(target), false);
});
