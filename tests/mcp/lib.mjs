// Shared helpers of the scope-mcp end-to-end tests: temporary trees, policies,
// starting the real proxy in front of real MCP servers with the official SDK
// client, and waiting for events (never fixed sleeps).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

export const SCOPE_MCP = path.resolve(process.env.SCOPE_MCP ?? path.resolve(import.meta.dirname, '../../build/scope-mcp'));
export const SCOPEC = path.resolve(process.env.SCOPEC ?? path.resolve(import.meta.dirname, '../../scopec'));
export const NODE = process.execPath;

function binOf(pkg, name) {
	const pj = require.resolve(`${pkg}/package.json`);
	const meta = JSON.parse(fs.readFileSync(pj, 'utf8'));
	const rel = typeof meta.bin === 'string' ? meta.bin : meta.bin[name];
	return path.join(path.dirname(pj), rel);
}
export const FS_SERVER = binOf('@modelcontextprotocol/server-filesystem', 'mcp-server-filesystem');
export const EVERYTHING_SERVER = binOf('@modelcontextprotocol/server-everything', 'mcp-server-everything');

/** A fresh directory under the (canonical) temp dir, removed by t.after. */
export function tempDir(t, prefix = 'scope-mcp-') {
	const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), prefix));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	return dir;
}

/**
 * The standard tree of the filesystem tests, under ROOT (the server's allowed
 * directory, so the server itself would serve every file in it: whatever is
 * refused is refused by scope):
 *   ROOT/secret.txt                  outside the policy
 *   ROOT/outside/                    outside the policy
 *   ROOT/allowed/a.txt, b.txt        readable
 *   ROOT/allowed/drafts/             asks write_file
 *   ROOT/allowed/locked/x.txt        denies write_file
 *   ROOT/allowed/link.txt -> ROOT/secret.txt
 *   ROOT/allowed/linkdir  -> ROOT/outside
 */
export function fsTree(t) {
	const root = tempDir(t);
	const A = path.join(root, 'allowed');
	fs.mkdirSync(path.join(A, 'drafts'), { recursive: true });
	fs.mkdirSync(path.join(A, 'locked'), { recursive: true });
	fs.mkdirSync(path.join(root, 'outside'));
	fs.writeFileSync(path.join(root, 'secret.txt'), 'TOP SECRET\n');
	fs.writeFileSync(path.join(A, 'a.txt'), 'alpha\n');
	fs.writeFileSync(path.join(A, 'b.txt'), 'bravo\n');
	fs.writeFileSync(path.join(A, 'locked', 'x.txt'), 'original\n');
	fs.symlinkSync(path.join(root, 'secret.txt'), path.join(A, 'link.txt'));
	fs.symlinkSync(path.join(root, 'outside'), path.join(A, 'linkdir'));
	return { root, allowed: A };
}

/** The policy of the filesystem tests (the tree of fsTree). */
export function filesPolicy(root) {
	const A = `${root}/allowed`;
	return `# the filesystem agent of the tests
task files
  allows read_text_file ${A}/**, read_multiple_files ${A}/**, list_directory ${A}/**
  allows move_file ${A}/**
  allows write_file ${A}/notes/**
  asks   write_file ${A}/drafts/**
  denies write_file ${A}/locked/**
task * denies ** ${root}/secret.txt
`;
}

/** Write a policy file; returns its path. */
export function writePolicy(dir, text, name = 'policy.scope') {
	const p = path.join(dir, name);
	fs.writeFileSync(p, text);
	return p;
}

/** Atomically replace a file's content (write a temporary file, rename). */
export function replaceFile(file, text) {
	const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
	fs.writeFileSync(tmp, text);
	fs.renameSync(tmp, file);
}

/**
 * `FILE:LINE:COL` of the first occurrence of ITEM in the policy file (the
 * location scope reports for an item: the column where its action starts).
 */
export function loc(policyFile, item) {
	const lines = fs.readFileSync(policyFile, 'utf8').split('\n');
	for (let i = 0; i < lines.length; i++) {
		const c = lines[i].indexOf(item);
		if (c >= 0) return `${path.basename(policyFile)}:${i + 1}:${c + 1}`;
	}
	throw new Error(`item ${item} not in ${policyFile}`);
}

/** The text parts of a tool result, joined. */
export function textOf(result) {
	return (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

/** PIDs whose parent is PID (what `pgrep -P PID` prints), from /proc. */
export function childrenOf(pid) {
	const kids = [];
	for (const e of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(e)) continue;
		let stat;
		try { stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8'); } catch { continue; }
		// pid (comm) state ppid ...; comm may contain spaces and parentheses
		const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (Number(rest[1]) === pid) kids.push(Number(e));
	}
	return kids;
}

export function alive(pid) {
	try { process.kill(pid, 0); } catch { return false; }
	// a zombie is dead for our purposes
	try { return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

/** Resolve when PRED() is truthy (checked every 20 ms); reject after MS. */
export async function waitFor(pred, ms, what = 'condition') {
	const end = Date.now() + ms;
	for (;;) {
		const v = await pred();
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** Reject after MS with a message, else the promise's outcome. */
export function within(promise, ms, what) {
	let timer;
	return Promise.race([
		promise.finally(() => clearTimeout(timer)),
		new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: no outcome within ${ms} ms`)), ms); }),
	]);
}

/** The JSON lines of a decision log (missing file: none). */
export function readLog(file) {
	let text;
	try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
	return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

export function scopec(...args) {
	const r = spawnSync(SCOPEC, args, { encoding: 'utf8' });
	return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Start an SDK Client connected over stdio to `scope-mcp OPTS -- SERVER...`,
 * or straight to the server when opts.direct (baseline runs that show what
 * the server itself would do).
 *
 * opts: policy, task, name, log, shadow, askTimeout, extraArgs,
 *       server: [command, ...args] (the MCP server command line),
 *       elicit: handler(request) -> result (declares the elicitation capability),
 *       cwd, env, direct.
 * Returns { client, transport, proc, pid, stderr(), exited } where exited is
 * a promise of { code, signal } of the proxy (or server) process.
 */
export async function connect(t, opts) {
	const proxyArgs = [];
	if (!opts.direct) {
		proxyArgs.push('--policy', opts.policy, '--task', opts.task);
		if (opts.name) proxyArgs.push('--name', opts.name);
		if (opts.log) proxyArgs.push('--log', opts.log);
		if (opts.shadow) proxyArgs.push('--shadow', opts.shadow);
		if (opts.askTimeout !== undefined) proxyArgs.push('--ask-timeout', String(opts.askTimeout));
		proxyArgs.push(...(opts.extraArgs ?? []), '--');
	}
	const [cmd, ...args] = opts.direct ? opts.server : [SCOPE_MCP, ...proxyArgs, ...opts.server];
	const transport = new StdioClientTransport({
		// the SDK passes only a few safe variables on: scope-mcp compiles a
		// source policy with $SCOPEC
		command: cmd, args, stderr: 'pipe', cwd: opts.cwd, env: { SCOPEC, ...opts.env },
	});
	let err = '';
	transport.stderr.on('data', (d) => { err += d; });
	const capabilities = opts.elicit ? { elicitation: {} } : {};
	const client = new Client({ name: 'scope-mcp-e2e', version: '1.0.0' }, { capabilities });
	if (opts.elicit) client.setRequestHandler(ElicitRequestSchema, (req, extra) => opts.elicit(req, extra));
	let proc;
	let onExit;
	const exited = new Promise((resolve) => { onExit = resolve; });
	const start = transport.start.bind(transport);
	// Keep the child process (the transport forgets it on close) to see how it exits.
	transport.start = async () => {
		await start();
		proc = transport._process;
		proc.once('exit', (code, signal) => onExit({ code, signal }));
	};
	t.after(async () => {
		// SIGTERM first: the SDK's close() ends stdin and then waits 2 s for an
		// exit that server-everything (timers of its own) never makes by itself.
		// The proxy stops its server on SIGTERM; whatever is left is killed.
		const kids = proc ? childrenOf(proc.pid) : [];
		if (proc && proc.exitCode === null && proc.signalCode === null) {
			const gone = new Promise((r) => proc.once('exit', r));
			proc.kill('SIGTERM');
			await within(gone, 5000, 'exit on SIGTERM').catch(() => proc.kill('SIGKILL'));
		}
		await client.close().catch(() => {});
		for (const k of kids) if (alive(k)) process.kill(k, 'SIGKILL');
	});
	try {
		await within(client.connect(transport), 15000, 'initialize');
	} catch (e) {
		e.message += `\n--- stderr of ${path.basename(cmd)} ---\n${err}`;
		throw e;
	}
	return { client, transport, proc, pid: proc.pid, stderr: () => err, exited };
}

/** [command, ...args] of server-filesystem serving DIRS. */
export const fsServer = (...dirs) => [NODE, FS_SERVER, ...dirs];
/** [command, ...args] of server-everything over stdio. */
export const everythingServer = () => [NODE, EVERYTHING_SERVER, 'stdio'];

/** Assert-friendly: call a tool, return { isError, text, result }. */
export async function call(client, name, args, options) {
	// an upper bound well below the file's: a call left unanswered fails its own test
	const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 20000, ...options });
	return { isError: result.isError === true, text: textOf(result), result };
}
