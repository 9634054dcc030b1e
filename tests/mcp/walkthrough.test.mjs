// examples/mcp/README.md, executed: every ```console block's `$ ` commands
// run in order in one bash (from the repository root, with scope-mcp and
// scopec first on PATH), and each command's output (stdout and stderr) must
// be exactly the lines the README shows after it. The host configurations
// (the JSON blocks and `claude mcp add`) are started for real too.
//
// Runs may overlap (two checkouts, two sessions): the README's /tmp/mcp-demo
// becomes a directory of this run's own, in the commands, the outputs and a
// copy of examples/mcp/filesystem.scope at the same relative path (in a
// stand-in tree whose tests/mcp is this one), so every printed location
// stays as the README shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCOPE_MCP, SCOPEC, FS_SERVER } from './lib.mjs';

const repo = path.resolve(import.meta.dirname, '../..');
const readme = fs.readFileSync(path.join(repo, 'examples/mcp/README.md'), 'utf8');
const README_DEMO = '/tmp/mcp-demo';

/** This run's stand-in for /tmp/mcp-demo, and a tree to run the README's commands from. */
function sandbox(t) {
	const work = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'scope-mcp-walk-'));
	t.after(() => fs.rmSync(work, { recursive: true, force: true }));
	const demo = path.join(work, 'mcp-demo');
	const tree = path.join(work, 'repo');
	fs.mkdirSync(path.join(tree, 'examples/mcp'), { recursive: true });
	fs.mkdirSync(path.join(tree, 'tests'));
	fs.symlinkSync(import.meta.dirname, path.join(tree, 'tests/mcp'));
	const policy = fs.readFileSync(path.join(repo, 'examples/mcp/filesystem.scope'), 'utf8');
	fs.writeFileSync(path.join(tree, 'examples/mcp/filesystem.scope'), policy.replaceAll(README_DEMO, demo));
	return { work, demo, tree, here: (text) => text.replaceAll(README_DEMO, demo) };
}

/** The fenced blocks of a markdown text: [{ lang, body }]. */
function blocks(md) {
	const out = [];
	const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
	for (let m; (m = re.exec(md));) out.push({ lang: m[1], body: m[2] });
	return out;
}

/** The `$ ` commands of a console block with the output shown after each. */
export function steps(body) {
	const lines = body.replace(/\n$/, '').split('\n');
	const out = [];
	for (let i = 0; i < lines.length;) {
		assert.ok(lines[i].startsWith('$ '), `console block line is neither a command nor output: ${lines[i]}`);
		let cmd = lines[i++].slice(2);
		// continuation lines, here-documents, quotes open across lines
		const here = /<<-?\s*'?(\w+)'?/.exec(cmd);
		if (here) {
			while (i < lines.length && lines[i] !== here[1]) cmd += `\n${lines[i++]}`;
			assert.ok(i < lines.length, `unterminated here-document: ${cmd}`);
			cmd += `\n${lines[i++]}`;
		} else {
			while (cmd.endsWith('\\') || unbalancedQuote(cmd)) {
				assert.ok(i < lines.length, `unterminated command: ${cmd}`);
				cmd += `\n${lines[i++]}`;
			}
		}
		const expected = [];
		while (i < lines.length && !lines[i].startsWith('$ ')) expected.push(lines[i++]);
		out.push({ cmd, expected: expected.length ? `${expected.join('\n')}\n` : '' });
	}
	return out;
}

/** A command whose single quotes are not closed goes on on the next line. */
function unbalancedQuote(cmd) {
	let inSingle = false, inDouble = false;
	for (let k = 0; k < cmd.length; k++) {
		const c = cmd[k];
		if (inSingle) { if (c === "'") inSingle = false; continue; }
		if (c === '\\') { k++; continue; }
		if (c === '"') inDouble = !inDouble;
		else if (c === "'" && !inDouble) inSingle = true;
	}
	return inSingle || inDouble;
}

function binDir(t) {
	// scope-mcp and scopec as the README names them, from SCOPE_MCP and SCOPEC
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scope-mcp-bin-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	fs.symlinkSync(SCOPE_MCP, path.join(dir, 'scope-mcp'));
	fs.symlinkSync(SCOPEC, path.join(dir, 'scopec'));
	return dir;
}

test('examples/mcp/README.md: every console step prints what the README shows', (t) => {
	const box = sandbox(t);
	const all = blocks(box.here(readme)).filter((b) => b.lang === 'console').flatMap((b) => steps(b.body));
	assert.ok(all.length >= 10, `only ${all.length} console steps found`);
	const work = box.work;
	// one bash for all steps: each step's output and status to files of its own
	let script = 'set +e\ncd "$REPO"\n';
	all.forEach((s, i) => {
		script += `{\n${s.cmd}\n} > "$WORK/out.${i}" 2>&1 < /dev/null\n__rc=$?; echo $__rc > "$WORK/rc.${i}"; (exit $__rc)\n`;
	});
	script += 'exit 0\n';
	const bin = binDir(t);
	const r = spawnSync('bash', ['-c', script], {
		env: { ...process.env, SCOPEC, REPO: box.tree, WORK: work, PATH: `${bin}:${process.env.PATH}` },
		encoding: 'utf8', timeout: 90000,
	});
	assert.equal(r.status, 0, `bash: ${r.stderr}`);
	all.forEach((s, i) => {
		const got = fs.readFileSync(path.join(work, `out.${i}`), 'utf8');
		const rc = Number(fs.readFileSync(path.join(work, `rc.${i}`), 'utf8'));
		assert.equal(got, s.expected, `step ${i + 1} of the README printed otherwise:\n$ ${s.cmd}`);
		const next = all[i + 1]?.cmd;
		if (next !== 'echo $?') assert.equal(rc, 0, `step ${i + 1} exited ${rc}:\n$ ${s.cmd}\n${got}`);
	});
});

test('the policy the README shows is the one in examples/mcp/filesystem.scope', () => {
	const shown = blocks(readme).filter((b) => b.lang === '' && b.body.startsWith('task notes'));
	assert.equal(shown.length, 1);
	const file = fs.readFileSync(path.join(repo, 'examples/mcp/filesystem.scope'), 'utf8');
	assert.ok(file.includes(shown[0].body), 'the README shows another policy than filesystem.scope');
});

/** A host's command line from the README, made to run here. */
function localize(argv, box) {
	const out = [];
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === 'npx' && argv[i + 1] === '-y' && argv[i + 2] === '@modelcontextprotocol/server-filesystem') {
			out.push(process.execPath, FS_SERVER); // the pinned copy, no download
			i += 2;
		} else if (argv[i] === '/home/me/scope/build/scope-mcp') {
			out.push(SCOPE_MCP);
		} else {
			out.push(box.here(argv[i].replace('/home/me/scope/', `${box.tree}/`)));
		}
	}
	return out;
}

function runHost(t, argv) {
	const box = sandbox(t);
	const DEMO = box.demo;
	fs.mkdirSync(`${DEMO}/notes/private`, { recursive: true });
	fs.writeFileSync(`${DEMO}/notes/todo.txt`, 'buy milk\n');
	fs.writeFileSync(`${DEMO}/notes/private/pin.txt`, '1234\n');
	const input = `read_text_file {"path": "${DEMO}/notes/todo.txt"}\nread_text_file {"path": "${DEMO}/notes/private/pin.txt"}\n`;
	const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'mcp-call.mjs'), '--', ...localize(argv, box)],
		// a host's environment: nothing of this test's but where scopec is
		{ input, encoding: 'utf8', timeout: 30000, cwd: os.tmpdir(), env: { PATH: process.env.PATH, HOME: os.homedir(), SCOPEC } });
	assert.equal(r.status, 0, r.stderr);
	const lines = r.stdout.split('\n');
	assert.equal(lines[0], 'read_text_file: ok: buy milk');
	assert.match(lines[1], /^read_text_file: error: denied by scope/);
	assert.ok(fs.existsSync(`${DEMO}/decisions.log`), 'the configured --log was not written');
}

test('the Claude Desktop / .mcp.json configuration of the README starts a working proxy', (t) => {
	const json = blocks(readme).filter((b) => b.lang === 'json');
	assert.ok(json.length >= 1, 'no JSON configuration in the README');
	for (const b of json) {
		const conf = JSON.parse(b.body);
		const servers = Object.values(conf.mcpServers ?? {});
		assert.ok(servers.length > 0, 'no mcpServers entry');
		for (const s of servers) runHost(t, [s.command, ...s.args]);
	}
});

test('the `claude mcp add` line of the README starts a working proxy', (t) => {
	const sh = blocks(readme).filter((b) => b.lang === 'sh').map((b) => b.body).find((b) => b.startsWith('claude mcp add'));
	assert.ok(sh, 'no claude mcp add in the README');
	const words = sh.replace(/\\\n/g, ' ').trim().split(/\s+/);
	runHost(t, words.slice(words.indexOf('--') + 1));
});
