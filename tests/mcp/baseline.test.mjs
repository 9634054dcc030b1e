// Baselines without the proxy: what the real servers do on their own with
// the same requests the proxy tests send. They show that every refusal in
// the proxy tests is scope's (the server would have served it), and they
// check this suite's use of the SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LoggingMessageNotificationSchema, ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, fsTree, fsServer, everythingServer, call, childrenOf, within, waitFor, textOf } from './lib.mjs';

test('baseline: server-filesystem serves traversal, symlinks out of allowed/, relative and ~ paths', async (t) => {
	const { root, allowed } = fsTree(t);
	const { client } = await connect(t, { direct: true, server: fsServer(root), env: { HOME: root } });
	const names = (await client.listTools()).tools.map((x) => x.name);
	for (const n of ['read_text_file', 'read_multiple_files', 'write_file', 'edit_file', 'move_file', 'list_directory'])
		assert.ok(names.includes(n), `server-filesystem has no tool ${n}: ${names}`);
	assert.equal((await call(client, 'read_text_file', { path: `${allowed}/a.txt` })).text, 'alpha\n');
	assert.equal((await call(client, 'read_text_file', { path: `${allowed}/../secret.txt` })).text, 'TOP SECRET\n');
	assert.equal((await call(client, 'read_text_file', { path: `${allowed}/link.txt` })).text, 'TOP SECRET\n');
	// relative paths resolve against the server's first allowed directory, ~ against $HOME
	assert.equal((await call(client, 'read_text_file', { path: 'secret.txt' })).text, 'TOP SECRET\n');
	assert.equal((await call(client, 'read_text_file', { path: '~/secret.txt' })).text, 'TOP SECRET\n');
	const w = await call(client, 'write_file', { path: `${allowed}/linkdir/new.txt`, content: 'x' });
	assert.equal(w.isError, false, w.text);
	assert.equal(fs.readFileSync(path.join(root, 'outside', 'new.txt'), 'utf8'), 'x');
	const m = await call(client, 'move_file', { source: `${allowed}/b.txt`, destination: `${root}/outside/b.txt` });
	assert.equal(m.isError, false, m.text);
	assert.ok(fs.existsSync(path.join(root, 'outside', 'b.txt')));
});

test('baseline: server-everything elicitation, progress and logging reach the SDK client', async (t) => {
	let seen;
	const { client, pid } = await connect(t, {
		direct: true, server: everythingServer(),
		elicit: (req) => { seen = req.params; return { action: 'accept', content: { name: 'Ada', check: true } }; },
	});
	const names = (await client.listTools()).tools.map((x) => x.name);
	for (const n of ['echo', 'trigger-elicitation-request', 'trigger-long-running-operation', 'toggle-simulated-logging'])
		assert.ok(names.includes(n), `server-everything has no tool ${n}: ${names}`);
	const e = await call(client, 'trigger-elicitation-request', {});
	assert.equal(seen.message, 'Please provide inputs for the following fields:');
	assert.match(e.text, /- Name: Ada/);

	// Our own progress handler: the SDK's onprogress may drop the last
	// notification when it arrives in the same read as the response.
	const progress = [];
	client.setNotificationHandler(ProgressNotificationSchema, (n) => progress.push(n.params));
	const r = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 }, _meta: { progressToken: 'tok-1' } });
	assert.match(textOf(r), /Long running operation completed/);
	await waitFor(() => progress.length === 3, 5000, 'three progress notifications');
	assert.deepEqual(progress, [1, 2, 3].map((i) => ({ progress: i, total: 3, progressToken: 'tok-1' })));

	const logged = new Promise((resolve) => client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => resolve(n.params)));
	await call(client, 'toggle-simulated-logging', {});
	const msg = await within(logged, 10000, 'a logging notification');
	assert.match(String(msg.data), /message/);
	// the server is a direct child here; in the proxy tests it is the proxy's child
	assert.deepEqual(childrenOf(pid), []);
});
