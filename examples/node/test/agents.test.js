'use strict';
// The real OpenAI Agents SDK (@openai/agents-core) driving a scripted model
// (the SDK's Model interface, no network): the model calls one tool; scope
// decides; the test checks which tool bodies actually ran and what the model
// was shown.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { z } = require('zod');
const core = require('@openai/agents-core');
const { Agent, Runner, Usage, tool, setTracingDisabled } = core;
const { Policy, Handle } = require('..');
const { guardTools, DENIED_PREFIX } = require('../guard');

setTracingDisabled(true);

const POLICY = path.join(__dirname, 'fixtures', 'agent.scope');

// A model that answers from a script: first the tool call it was given, then
// (once the tool's output is in its input) a final message quoting it.
class ScriptedModel {
	constructor(call) {
		this.call = call;
		this.requests = [];
		this.seen = undefined; // the function_call_result the model was shown
	}

	async getResponse(request) {
		this.requests.push(request);
		const input = Array.isArray(request.input) ? request.input : [];
		const result = input.find((i) => i.type === 'function_call_result' && i.callId === 'call-1');
		if (!result) {
			return {
				usage: new Usage(),
				output: [{
					type: 'function_call', id: 'fc-1', callId: 'call-1', name: this.call.name,
					arguments: JSON.stringify(this.call.arguments), status: 'completed',
				}],
				responseId: `resp-${this.requests.length}`,
			};
		}
		this.seen = result;
		const text = typeof result.output === 'string' ? result.output
			: result.output && typeof result.output.text === 'string' ? result.output.text
				: JSON.stringify(result.output);
		return {
			usage: new Usage(),
			output: [{
				type: 'message', id: 'msg-1', role: 'assistant', status: 'completed',
				content: [{ type: 'output_text', text: `tool said: ${text}` }],
			}],
			responseId: `resp-${this.requests.length}`,
		};
	}

	async *getStreamedResponse() {
		throw new Error('not used: the tests run without streaming');
	}
}

// Three tools whose bodies record that they ran.
function makeTools(ran) {
	return [
		tool({
			name: 'read_file',
			description: 'Read a file of the docs tree',
			parameters: z.object({ path: z.string() }),
			execute: async ({ path: p }) => { ran.push(['read_file', p]); return `contents of ${p}`; },
		}),
		tool({
			name: 'delete_file',
			description: 'Delete a file',
			parameters: z.object({ path: z.string() }),
			execute: async ({ path: p }) => { ran.push(['delete_file', p]); return `deleted ${p}`; },
		}),
		tool({
			name: 'post_answer',
			description: 'Post an answer to a forum channel',
			parameters: z.object({ channel: z.string(), text: z.string() }),
			execute: async ({ channel, text }) => { ran.push(['post_answer', channel, text]); return `posted to ${channel}`; },
		}),
	];
}

const ACTIONS = { read_file: 'fs.read', delete_file: 'fs.delete', post_answer: 'post' };

function setup(call, policy) {
	const ran = [];
	const decisions = [];
	const tools = guardTools(makeTools(ran), {
		policy: policy || Policy.load(POLICY),
		task: 'support',
		action: (name) => ACTIONS[name],
		cwd: '/srv/docs',
		onDecision: (e) => decisions.push(e),
	});
	const model = new ScriptedModel(call);
	const agent = new Agent({ name: 'support', instructions: 'Help with the docs.', model, tools });
	const runner = new Runner({ tracingDisabled: true });
	return { ran, decisions, model, agent, runner };
}

test('allowed: the model reads a file, the tool runs, the model sees its output', async () => {
	const { ran, decisions, model, agent, runner } = setup({ name: 'read_file', arguments: { path: 'guide/../intro.md' } });
	const result = await runner.run(agent, 'What does the intro say?');
	assert.deepEqual(ran, [['read_file', 'guide/../intro.md']]);
	assert.equal(result.interruptions.length, 0);
	assert.equal(result.finalOutput, 'tool said: contents of guide/../intro.md');
	const inv = decisions.find((d) => d.phase === 'invoke');
	assert.equal(inv.result.decision, 'allow');
	assert.equal(inv.result.resource, '/srv/docs/intro.md'); // canonical: relative to cwd, .. removed
	assert.match(inv.result.explanation, /agent\.scope:3:10: allows fs\.read \/srv\/docs\/\*\*/);
	assert.equal(model.requests.length, 2);
});

test('denied: the body never runs, the model is shown the explanation', async () => {
	const { ran, model, agent, runner } = setup({ name: 'delete_file', arguments: { path: '/srv/docs/intro.md' } });
	const result = await runner.run(agent, 'Delete the intro');
	assert.deepEqual(ran, []);
	assert.equal(result.interruptions.length, 0); // deny is not a question for a human
	assert.ok(model.seen, 'the model got a tool result');
	const shown = result.finalOutput;
	assert.ok(shown.startsWith(`tool said: ${DENIED_PREFIX}: delete_file:`), shown);
	assert.match(shown, /agent\.scope:6:10: denies fs\.delete/);
});

test('denied by a traversal out of the allowed tree, canonicalised first', async () => {
	const { ran, agent, runner } = setup({ name: 'read_file', arguments: { path: '../../etc/passwd' } });
	const result = await runner.run(agent, 'read it');
	assert.deepEqual(ran, []);
	assert.match(result.finalOutput, /no item allows this \(default deny\)/);
});

test('asked and approved: the run stops for a human, approve() runs the tool', async () => {
	const { ran, agent, runner } = setup({ name: 'post_answer', arguments: { channel: 'public', text: 'Try a restart.' } });
	let result = await runner.run(agent, 'Answer the question publicly');
	assert.deepEqual(ran, [], 'nothing runs before the approval');
	assert.equal(result.interruptions.length, 1);
	const item = result.interruptions[0];
	assert.equal(item.type, 'tool_approval_item');
	assert.equal(item.name, 'post_answer');
	result.state.approve(item);
	result = await runner.run(agent, result.state);
	assert.deepEqual(ran, [['post_answer', 'public', 'Try a restart.']]);
	assert.equal(result.interruptions.length, 0);
	assert.equal(result.finalOutput, 'tool said: posted to public');
});

test('asked and rejected: reject() keeps the body from running, the model is told', async () => {
	const { ran, model, agent, runner } = setup({ name: 'post_answer', arguments: { channel: 'public', text: 'Try a restart.' } });
	let result = await runner.run(agent, 'Answer the question publicly');
	assert.equal(result.interruptions.length, 1);
	result.state.reject(result.interruptions[0], { message: 'a human said no' });
	result = await runner.run(agent, result.state);
	assert.deepEqual(ran, []);
	assert.ok(model.seen);
	assert.equal(result.finalOutput, 'tool said: a human said no');
});

test('ask needs this very approval: a policy swapped to ask after needsApproval said allow is refused', async () => {
	// needsApproval sees "allow" (internal channel), then the policy is swapped
	// to one where the same call asks; the invoke-time decision finds no
	// approval and refuses the call.
	const handle = new Handle(Policy.load(POLICY));
	const { ran, agent, runner } = setup({ name: 'post_answer', arguments: { channel: 'internal', text: 'hi' } }, handle);
	const tools = agent.tools;
	const post = tools.find((t) => t.name === 'post_answer');
	const origApproval = post.needsApproval;
	post.needsApproval = async (...a) => {
		const r = await origApproval(...a);
		handle.swap(Buffer.from(require('..').compile(path.join(__dirname, 'fixtures', 'agent-strict.scope'))));
		return r;
	};
	const result = await runner.run(agent, 'post internally');
	assert.deepEqual(ran, []);
	assert.match(result.finalOutput, /needs a human's approval and this call has none/);
});

test('guardTools refuses what it cannot guard and needs a policy', () => {
	assert.throws(() => guardTools([{ type: 'hosted_tool', name: 'web_search' }], { policy: Policy.load(POLICY), task: 't' }), TypeError);
	assert.throws(() => guardTools([], { task: 't' }), TypeError);
	assert.throws(() => guardTools([], { policy: Policy.load(POLICY) }), TypeError);
});

test('a task callback that throws is a deny, the body does not run', async () => {
	const ran = [];
	const tools = guardTools(makeTools(ran), {
		policy: Policy.load(POLICY), task: () => { throw new Error('no task'); }, action: ACTIONS, cwd: '/srv/docs',
	});
	const model = new ScriptedModel({ name: 'read_file', arguments: { path: 'intro.md' } });
	const agent = new Agent({ name: 'support', model, tools });
	const result = await new Runner({ tracingDisabled: true }).run(agent, 'x');
	assert.deepEqual(ran, []);
	assert.match(result.finalOutput, /denied by scope: read_file: no decision/);
});
