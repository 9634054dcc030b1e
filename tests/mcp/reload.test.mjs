// Hot reload while calls are in flight: SIGHUP and file change; a broken
// policy is refused and the one in force stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, tempDir, everythingServer, writePolicy, replaceFile, call, readLog, textOf, waitFor, within } from './lib.mjs';

const V1 = 'task ev\n  allows trigger-long-running-operation, echo\n';
const V2 = 'task ev\n  allows trigger-long-running-operation, get-sum\n';
const BROKEN = 'task ev\n  allows trigger-long-running-operation, get-sum when (\n';
const V3 = 'task ev\n  allows trigger-long-running-operation, echo, get-sum\n';

const isReload = (x) => x.type === 'reload' && x.result === 'loaded';
const isRefusal = (x) => x.type === 'error';

test('reload on SIGHUP and on file change while a call is in flight; a broken policy is refused', async (t) => {
	const dir = tempDir(t);
	const policy = writePolicy(dir, V1);
	const log = path.join(dir, 'decisions.log');
	const { client, pid, stderr } = await connect(t, { policy, task: 'ev', log, server: everythingServer() });
	const count = (pred) => readLog(log).filter(pred).length;

	// a call decided by V1 that is still running across the reloads
	const progress = [];
	client.setNotificationHandler(ProgressNotificationSchema, (n) => progress.push(n.params.progress));
	const slow = client.callTool({
		name: 'trigger-long-running-operation', arguments: { duration: 4, steps: 40 }, _meta: { progressToken: 's' },
	}, undefined, { timeout: 30000 });
	await waitFor(() => progress.length > 0, 10000, 'the slow call to start');

	assert.equal((await call(client, 'echo', { message: 'v1' })).text, 'Echo: v1');
	assert.equal((await call(client, 'get-sum', { a: 1, b: 2 })).isError, true, 'get-sum allowed by V1');

	// V2 by SIGHUP
	const reloads = count(isReload);
	replaceFile(policy, V2);
	process.kill(pid, 'SIGHUP');
	await waitFor(() => count(isReload) > reloads, 5000, `a reload record in the log\n${stderr()}`);
	const e2 = await call(client, 'echo', { message: 'v2' });
	assert.equal(e2.isError, true, `echo after the reload: ${e2.text}`);
	assert.match((await call(client, 'get-sum', { a: 1, b: 2 })).text, /\b3\b/);
	const tools = (await client.listTools()).tools.map((x) => x.name).sort();
	assert.deepEqual(tools, ['get-sum', 'trigger-long-running-operation'], 'tools/list after the reload');

	// a broken policy: refused, V2 stays
	const refusals = count(isRefusal);
	replaceFile(policy, BROKEN);
	process.kill(pid, 'SIGHUP');
	await waitFor(() => count(isRefusal) > refusals, 5000, `a refusal record in the log\n${stderr()}`);
	assert.match(JSON.stringify(readLog(log).filter(isRefusal).at(-1)), /policy\.scope:2:/, 'the refusal names the error');
	assert.equal((await call(client, 'echo', { message: 'broken' })).isError, true);
	assert.match((await call(client, 'get-sum', { a: 2, b: 2 })).text, /\b4\b/, 'the old policy did not stay');

	// V3 by a change of the file alone (no signal)
	const before = count(isReload);
	replaceFile(policy, V3);
	await waitFor(() => count(isReload) > before, 5000, `a reload on file change\n${stderr()}`);
	assert.equal((await call(client, 'echo', { message: 'v3' })).text, 'Echo: v3');

	// the in-flight call, decided before any reload, completes
	const r = await within(slow, 20000, 'the slow call');
	assert.match(textOf(r), /Long running operation completed/);

	// decisions are logged with the digest of the policy that made them
	const dec = readLog(log).filter((x) => x.type === 'decision');
	const digest = (msg) => dec.find((x) => x.attributes?.['arg.message'] === msg)?.policy;
	assert.match(digest('v1') ?? '', /^sha256:[0-9a-f]{64}$/);
	assert.notEqual(digest('v1'), digest('v2'));
	assert.equal(digest('v2'), digest('broken'));
	assert.notEqual(digest('v3'), digest('v2'));
});
