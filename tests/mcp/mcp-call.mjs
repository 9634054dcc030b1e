#!/usr/bin/env node
// mcp-call: a minimal MCP host for the command line (the official SDK client
// over stdio), used by examples/mcp/README.md and its test.
//
//   node tests/mcp/mcp-call.mjs [--approve | --decline] [--list] -- COMMAND [ARG...]
//
// Starts COMMAND (an MCP server, or scope-mcp in front of one), then reads
// tool calls from stdin, one per line: `TOOL {"json":"arguments"}`, and
// prints one line per call: `TOOL: ok: TEXT` or `TOOL: error: TEXT` (the
// result's text, lines joined with " | ").  --list first prints the names of
// the tools the server lists.  Without --approve/--decline the client does
// not declare the elicitation capability; with one of them it does, prints
// each question as `? MESSAGE` and answers it (approve: true, or decline).
// Calls run one after another; the exit status is 0 unless the connection
// fails (then the server's stderr is printed, else it is not shown).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import readline from 'node:readline';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0 || sep === argv.length - 1) {
	process.stderr.write('usage: mcp-call.mjs [--approve | --decline] [--list] -- COMMAND [ARG...]\n');
	process.exit(2);
}
const flags = new Set(argv.slice(0, sep));
const [command, ...args] = argv.slice(sep + 1);
const answer = flags.has('--approve') ? 'approve' : flags.has('--decline') ? 'decline' : null;

const oneLine = (s) => s.replace(/\n+$/, '').split('\n').join(' | ');
const client = new Client({ name: 'mcp-call', version: '1.0.0' },
	{ capabilities: answer ? { elicitation: {} } : {} });
if (answer) {
	client.setRequestHandler(ElicitRequestSchema, (req) => {
		console.log(`? ${oneLine(req.params.message)}`);
		return answer === 'approve' ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
	});
}
// The server's stderr is kept quiet, and shown only when the connection fails.
// The whole environment is passed on (the SDK's default is a few safe variables).
const transport = new StdioClientTransport({ command, args, stderr: 'pipe', env: { ...process.env } });
let serverErr = '';
transport.stderr.on('data', (d) => { serverErr += d; });
try {
	await client.connect(transport);
} catch (e) {
	process.stderr.write(`${serverErr}mcp-call: ${e.message}\n`);
	process.exit(1);
}
if (flags.has('--list')) {
	const { tools } = await client.listTools();
	console.log(`tools: ${tools.map((t) => t.name).join(' ')}`);
}
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
	if (line.trim() === '') continue;
	const m = /^\s*(\S+)\s*(.*)$/.exec(line);
	const name = m[1];
	let result;
	try {
		result = await client.callTool({ name, arguments: m[2] ? JSON.parse(m[2]) : {} });
	} catch (e) {
		console.log(`${name}: error: ${oneLine(e.message)}`);
		continue;
	}
	const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
	console.log(`${name}: ${result.isError ? 'error' : 'ok'}: ${oneLine(text)}`);
}
await client.close();
