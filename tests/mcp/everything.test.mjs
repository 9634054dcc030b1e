// scope-mcp in front of the real server-everything: what the proxy must
// relay untouched (server->client requests, notifications), --name, argument
// attributes, resources/read, and the server going away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LoggingMessageNotificationSchema, ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
	connect, tempDir, everythingServer, fsServer, writePolicy, call, readLog, textOf,
	childrenOf, alive, waitFor, within, SCOPE_MCP,
} from './lib.mjs';

async function everything(t, text, opts = {}) {
	const dir = tempDir(t);
	const policy = writePolicy(dir, text);
	const log = path.join(dir, 'decisions.log');
	const conn = await connect(t, { policy, task: 'ev', log, server: everythingServer(), ...opts });
	return { dir, policy, log, ...conn };
}

test('elicitation from the server is relayed untouched, both ways', async (t) => {
	// what the server asks, seen without the proxy
	let direct;
	const d = await connect(t, {
		direct: true, server: everythingServer(),
		elicit: (req) => { direct = req; return { action: 'decline' }; },
	});
	await call(d.client, 'trigger-elicitation-request', {});
	assert.ok(direct, 'the server did not ask without the proxy');

	const asked = [];
	const answers = [{ action: 'accept', content: { name: 'Ada Lovelace', check: true, integer: 7 } }, { action: 'decline' }];
	const { client } = await everything(t, 'task ev\n  allows trigger-elicitation-request\n', {
		elicit: (req) => { asked.push(req); return answers[asked.length - 1]; },
	});
	const r = await call(client, 'trigger-elicitation-request', {});
	assert.equal(r.isError, false, r.text);
	assert.equal(asked.length, 1, 'asked more than the server asked');
	assert.deepEqual(asked[0].params, direct.params, 'the server\'s elicitation/create was changed on the way');
	assert.match(r.text, /- Name: Ada Lovelace/);
	assert.match(r.text, /- Agreed to terms: true/);
	assert.match(r.text, /- Favorite Integer: 7/);
	const r2 = await call(client, 'trigger-elicitation-request', {});
	assert.match(r2.text, /User declined/);
});

test('progress and logging notifications are relayed', async (t) => {
	const { client } = await everything(t,
		'task ev\n  allows trigger-long-running-operation, toggle-simulated-logging\n');
	const progress = [];
	client.setNotificationHandler(ProgressNotificationSchema, (n) => progress.push(n.params));
	const r = await client.callTool({
		name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 },
		_meta: { progressToken: 'p-42' },
	});
	assert.match(textOf(r), /Long running operation completed. Duration: 0.6 seconds, Steps: 3./);
	await waitFor(() => progress.length === 3, 5000, 'three progress notifications');
	assert.deepEqual(progress, [1, 2, 3].map((i) => ({ progress: i, total: 3, progressToken: 'p-42' })));

	const logged = new Promise((resolve) => client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => resolve(n.params)));
	assert.deepEqual(await client.setLoggingLevel('debug'), {});
	const on = await call(client, 'toggle-simulated-logging', {});
	assert.match(on.text, /Started simulated/);
	const m = await within(logged, 10000, 'a notifications/message');
	assert.match(m.level, /^(debug|info|notice|warning|error|critical|alert|emergency)$/);
	assert.match(String(m.data), /-level message|level-message/);
	// off again: its timer would keep the server alive after its stdin closes
	assert.match((await call(client, 'toggle-simulated-logging', {})).text, /Stopped simulated/);
	// ping and prompts pass through too
	assert.deepEqual(await client.ping(), {});
	const prompts = await client.listPrompts();
	assert.ok(prompts.prompts.length > 0);
});

test('--name prefixes actions with the server name; scalar arguments are attributes arg.NAME', async (t) => {
	const text = `task ev
  allows everything.echo when arg.message == "hi"
  allows everything.get-sum when arg.a < 10
  allows echo, get-env
`;
	const { client, log } = await everything(t, text, { name: 'everything' });
	const names = (await client.listTools()).tools.map((x) => x.name).sort();
	assert.deepEqual(names, ['echo', 'get-sum'], 'tools/list under --name');
	assert.equal((await call(client, 'echo', { message: 'hi' })).text, 'Echo: hi');
	const bye = await call(client, 'echo', { message: 'bye' });
	assert.equal(bye.isError, true, bye.text);
	assert.doesNotMatch(bye.text, /Echo: bye/);
	assert.match((await call(client, 'get-sum', { a: 2, b: 3 })).text, /\b5\b/);
	const big = await call(client, 'get-sum', { a: 20, b: 3 });
	assert.equal(big.isError, true, big.text);
	// unprefixed items do not apply under --name
	const env = await call(client, 'get-env', {});
	assert.equal(env.isError, true, env.text);
	assert.doesNotMatch(env.text, /"PATH"/);
	const dec = readLog(log).filter((x) => x.type === 'decision');
	assert.deepEqual(dec.map((x) => [x.action, x.decision]), [
		['everything.echo', 'allow'], ['everything.echo', 'deny'],
		['everything.get-sum', 'allow'], ['everything.get-sum', 'deny'], ['everything.get-env', 'deny'],
	]);
	assert.equal(dec[0].attributes['arg.message'], 'hi');
	assert.equal(dec[3].attributes['arg.a'], '20');
	assert.equal(dec[0].resource, '');
});

test('resources/read is decided as resources.read on the URI', async (t) => {
	const { client, log } = await everything(t, 'task ev\n  allows resources.read demo://resource/static/document/**\n');
	const ok = await client.readResource({ uri: 'demo://resource/static/document/features.md' });
	assert.match(ok.contents[0].text, /\w/);
	await assert.rejects(client.readResource({ uri: 'demo://resource/dynamic/text/1' }), /scope|denied/i);
	const dec = readLog(log).filter((x) => x.type === 'decision');
	assert.deepEqual(dec.map((x) => [x.action, x.resource, x.decision]), [
		['resources.read', 'demo://resource/static/document/features.md', 'allow'],
		['resources.read', 'demo://resource/dynamic/text/1', 'deny'],
	]);
});

async function slowCall(client) {
	const progress = [];
	client.setNotificationHandler(ProgressNotificationSchema, (n) => progress.push(n.params));
	const pending = client.callTool({
		name: 'trigger-long-running-operation', arguments: { duration: 30, steps: 60 },
		_meta: { progressToken: 'slow' },
	});
	pending.catch(() => {});
	await waitFor(() => progress.length > 0, 10000, 'the slow call to be running');
	return { pending }; // not the promise itself: an async function would wait for it
}

function serverOf(pid) {
	const kids = childrenOf(pid);
	assert.equal(kids.length, 1, `the proxy ${pid} has children ${kids}`);
	return kids[0];
}

test('the server killed mid-call: the pending call gets an error and the proxy exits', async (t) => {
	const { client, pid, exited } = await everything(t, 'task ev\n  allows trigger-long-running-operation\n');
	const { pending } = await slowCall(client);
	const server = serverOf(pid);
	process.kill(server, 'SIGKILL');
	const err = await within(pending.then(() => null, (e) => e), 10000, 'the pending call');
	assert.ok(err instanceof Error, 'the pending call succeeded');
	const how = await within(exited, 10000, 'the proxy to exit');
	// the server's status is "killed by SIGKILL": 128+9 as a shell reports it, or the same signal
	assert.ok(how.code === 137 || how.signal === 'SIGKILL', `proxy exit ${JSON.stringify(how)} after its server was killed`);
	assert.equal(alive(pid), false);
});

test('the proxy exits with the server\'s status: 0 after the server\'s clean exit mid-call', async (t) => {
	const { client, pid, exited } = await everything(t, 'task ev\n  allows trigger-long-running-operation\n');
	const { pending } = await slowCall(client);
	process.kill(serverOf(pid), 'SIGINT'); // server-everything exits 0 on SIGINT
	const err = await within(pending.then(() => null, (e) => e), 10000, 'the pending call');
	assert.ok(err instanceof Error, 'the pending call succeeded');
	assert.deepEqual(await within(exited, 10000, 'the proxy to exit'), { code: 0, signal: null });
});

test('a server failing at start: initialize gets an error, the proxy exits 1 like the server', async (t) => {
	// server-filesystem with no accessible directory exits 1 before answering
	const dir = tempDir(t);
	const policy = writePolicy(dir, 'task ev\n  allows read_text_file /nonexistent/**\n');
	const server = fsServer(path.join(dir, 'missing'));
	await assert.rejects(connect(t, { policy, task: 'ev', server }));
	const init = JSON.stringify({
		jsonrpc: '2.0', id: 1, method: 'initialize',
		params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
	});
	const r = spawnSync(SCOPE_MCP, ['--policy', policy, '--task', 'ev', '--', ...server],
		{ input: `${init}\n`, timeout: 10000, encoding: 'utf8' });
	assert.equal(r.status, 1, `scope-mcp exit ${r.status} (signal ${r.signal}) for a server exiting 1; stderr: ${r.stderr}`);
});

async function cancelRun(t, opts) {
	const { client } = await connect(t, opts);
	const stray = [];
	client.onerror = (e) => { if (/unknown message id/i.test(e.message)) stray.push(e.message); };
	const ac = new AbortController();
	const first = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.5, steps: 1 } },
		undefined, { signal: ac.signal });
	ac.abort('changed my mind');
	await assert.rejects(first, /changed my mind|abort/i);
	// a longer call started after it ends after it: by then the server has
	// answered the first one unless the cancellation reached it
	const second = await call(client, 'trigger-long-running-operation', { duration: 1, steps: 1 });
	assert.match(second.text, /completed/);
	assert.deepEqual(stray, [], 'the cancelled call was answered: notifications/cancelled did not reach the server');
}

test('notifications/cancelled is relayed: a cancelled call is never answered', async (t) => {
	await cancelRun(t, { direct: true, server: everythingServer() }); // the server's own behaviour
	const dir = tempDir(t);
	const policy = writePolicy(dir, 'task ev\n  allows trigger-long-running-operation\n');
	await cancelRun(t, { policy, task: 'ev', server: everythingServer() });
});

test('the proxy\'s own asks and the server\'s elicitations at the same time: each answer reaches its asker', async (t) => {
	const N = 5;
	const waiting = [];
	let release;
	const allAsked = new Promise((r) => { release = r; });
	const { client } = await everything(t, 'task ev\n  asks echo\n  allows trigger-elicitation-request\n', {
		elicit: (req) => new Promise((resolve) => {
			waiting.push({ req, resolve });
			if (waiting.length === 2 * N) release();
		}),
	});
	const echoes = Array.from({ length: N }, (_, i) => call(client, 'echo', { message: `m${i}` }));
	const elicits = Array.from({ length: N }, () => call(client, 'trigger-elicitation-request', {}));
	await within(allAsked, 15000, `${2 * N} questions (got ${waiting.length})`);
	// answer in an order unrelated to the asking: the server's first, reversed
	const mine = waiting.filter((w) => w.req.params.requestedSchema?.properties?.approve);
	const servers = waiting.filter((w) => !w.req.params.requestedSchema?.properties?.approve);
	assert.equal(mine.length, N);
	assert.equal(servers.length, N);
	servers.reverse().forEach((w, i) => w.resolve({ action: 'accept', content: { name: `User ${i}` } }));
	for (const w of mine.reverse()) w.resolve({ action: 'accept', content: { approve: true } });
	const er = await Promise.all(echoes);
	er.forEach((r, i) => assert.equal(r.text, `Echo: m${i}`, `echo ${i}: ${r.text}`));
	const names = (await Promise.all(elicits)).map((r) => /- Name: (User \d)/.exec(r.text)?.[1]).sort();
	assert.deepEqual(names, Array.from({ length: N }, (_, i) => `User ${i}`));
});

test('asks on resources/read: approved reads return the resource, declined ones are refused', async (t) => {
	const answers = [{ action: 'accept', content: { approve: true } }, { action: 'decline' }];
	const asked = [];
	const { client } = await everything(t, 'task ev\n  asks resources.read demo://resource/static/document/**\n', {
		elicit: (req) => { asked.push(req.params.message); return answers[asked.length - 1]; },
	});
	const uri = 'demo://resource/static/document/features.md';
	const ok = await client.readResource({ uri });
	assert.match(ok.contents[0].text, /\w/);
	assert.ok(asked[0].includes(uri), asked[0]);
	await assert.rejects(client.readResource({ uri }), /approval/i);
	assert.equal(asked.length, 2);
});
