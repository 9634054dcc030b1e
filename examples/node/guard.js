'use strict';
// guard.js — scope decides every tool call of an OpenAI Agents SDK agent
// (@openai/agents-core, JavaScript).
//
//   const { tool, Agent, run } = require('@openai/agents-core');
//   const { Policy } = require('scope');
//   const { guardTools } = require('scope/guard');
//
//   const tools = guardTools([readFile, postAnswer, deleteAll], {
//     policy: Policy.load('triage.scopec'),       // or a Handle (hot swap)
//     task: 'triage',
//     action: (toolName) => ({ read_file: 'fs.read', post_answer: 'post' })[toolName] ?? `tool.${toolName}`,
//     cwd: '/srv/repo',
//   });
//   const agent = new Agent({ name: 'triage', tools, model });
//
// Each call the model makes is formed into requests by libscope-enforce
// (policy.decideToolCall: action(toolName) on the canonical paths / URLs of
// its path/paths/source/destination/file_path/uri/url arguments, every scalar
// argument as attribute arg.NAME; the most restrictive decision wins) and
//   * allow: the tool runs;
//   * ask:   the SDK's human-approval flow: needsApproval() is true, the run
//            stops with an interruption, and the tool runs only after
//            state.approve(item); state.reject(item) gives the model the
//            rejection message and the tool never runs;
//   * deny:  the tool body never runs; the model gets "denied by scope:
//            <explanation>" as the tool's output.
// The decision is taken again right before the body would run (the policy
// may have been swapped in between, and a hand-built run could skip
// needsApproval): deny there is deny; ask there runs only if the SDK's
// RunContext says this very call was approved.  Any failure on the way (a
// task or action callback that throws or returns a non-string, arguments
// that are not a JSON object, a library error) is a deny: the tool never
// runs unless the policy said so.

const DENIED_PREFIX = 'denied by scope';

function isDecider(p) {
	return p !== null && typeof p === 'object' && typeof p.decideToolCall === 'function';
}

function valueOf(spec, toolName, runContext) {
	return typeof spec === 'function' ? spec(toolName, runContext) : spec;
}

/**
 * guardTools(tools, options) -> new tools (the originals are not changed).
 *
 * options:
 *   policy    a scope Policy or Handle (required)
 *   task      the task: a string, or (toolName, runContext) => string (required)
 *   action    the action of a tool: (toolName, runContext) => string, an
 *             object {toolName: action}, or a string; default `tool.NAME`
 *   cwd       base of relative paths: a string or (toolName, runContext) =>
 *             string; default the process's working directory
 *   onDecision(event)  called with {tool, callId, phase: 'approval'|'invoke',
 *             request: {task, tool, arguments, cwd}, result} for each decision
 *             (for an audit log); an exception thrown there is ignored
 *   deniedMessage(toolName, result) -> string: what the model sees on deny
 *
 * A tool that is not a function tool (hosted, computer, shell, ...) cannot be
 * guarded by its arguments: guardTools throws a TypeError rather than pass it
 * through unguarded.
 */
function guardTools(tools, options) {
	if (!Array.isArray(tools)) throw new TypeError('guardTools(tools, options): tools must be an array');
	const o = options || {};
	if (!isDecider(o.policy)) throw new TypeError('guardTools: options.policy must be a scope Policy or Handle');
	if (typeof o.task !== 'string' && typeof o.task !== 'function') throw new TypeError('guardTools: options.task must be a string or a function');
	const actionOf = (toolName, runContext) => {
		const a = o.action;
		if (a === undefined) return `tool.${toolName}`;
		if (typeof a === 'function' || typeof a === 'string') return valueOf(a, toolName, runContext);
		if (a !== null && typeof a === 'object') {
			return Object.prototype.hasOwnProperty.call(a, toolName) ? a[toolName] : `tool.${toolName}`;
		}
		throw new TypeError('options.action must be a function, an object or a string');
	};
	return tools.map((t) => guardOne(t, o, actionOf));
}

function guardOne(t, o, actionOf) {
	if (!t || t.type !== 'function' || typeof t.invoke !== 'function' || typeof t.name !== 'string') {
		throw new TypeError(`guardTools: cannot guard ${t && t.name ? `tool '${t.name}'` : 'this tool'} ` +
			`(type ${t && t.type}): only function tools are decided by scope`);
	}
	const name = t.name;
	const innerInvoke = t.invoke;
	const innerApproval = typeof t.needsApproval === 'function' ? t.needsApproval : async () => false;

	const report = (phase, callId, request, result) => {
		if (typeof o.onDecision !== 'function') return;
		try {
			o.onDecision({ tool: name, callId, phase, request, result });
		} catch { /* an audit hook must not change the decision */ }
	};

	// The scope decision for one call; never throws (failures are deny).
	const decide = (runContext, args, phase, callId) => {
		let request;
		try {
			const task = valueOf(o.task, name, runContext);
			const action = actionOf(name, runContext);
			const cwd = valueOf(o.cwd, name, runContext);
			request = { task, tool: action, arguments: args, cwd: cwd === undefined ? undefined : cwd };
		} catch (e) {
			const result = { decision: 'deny', why: 'error', item: null, unknown: false,
				explanation: `cannot build the request (${e && e.message})`, error: e };
			report(phase, callId, request, result);
			return result;
		}
		const result = o.policy.decideToolCall(request);
		report(phase, callId, request, result);
		return result;
	};

	const deniedText = (result) => {
		if (typeof o.deniedMessage === 'function') {
			try {
				const m = o.deniedMessage(name, result);
				if (typeof m === 'string') return m;
			} catch { /* fall back to ours */ }
		}
		if (result.error) return `${DENIED_PREFIX}: ${name}: no decision (${result.error.message || result.error}); the call was not made`;
		return `${DENIED_PREFIX}: ${name}: ${result.explanation}; the call was not made`;
	};

	async function needsApproval(runContext, input, callId) {
		let args;
		try {
			args = input === undefined ? undefined : JSON.stringify(input);
		} catch {
			args = '\u0000'; // unserialisable: the decision below is deny (EINVAL)
		}
		const r = decide(runContext, args, 'approval', callId);
		if (r.decision === 'ask') return true;
		// allow: whatever the tool itself asks for; deny: no approval is
		// asked for, invoke() refuses the call with the explanation.
		if (r.decision === 'allow') return innerApproval.call(this, runContext, input, callId);
		return false;
	}

	async function invoke(runContext, input, details) {
		const callId = details && details.toolCall ? details.toolCall.callId : undefined;
		const r = decide(runContext, typeof input === 'string' ? input : '\u0000', 'invoke', callId);
		if (r.decision === 'allow') return innerInvoke.call(this, runContext, input, details);
		if (r.decision === 'ask') {
			let approved;
			try {
				approved = callId !== undefined && runContext && typeof runContext.isToolApproved === 'function'
					? runContext.isToolApproved({ toolName: name, callId })
					: undefined;
			} catch {
				approved = undefined;
			}
			if (approved === true) return innerInvoke.call(this, runContext, input, details);
			return `${DENIED_PREFIX}: ${name}: needs a human's approval and this call has none (${r.explanation}); the call was not made`;
		}
		return deniedText(r);
	}

	// A copy of the tool with the two functions replaced: every other
	// property (schema, strictness, timeouts, guardrails) is the tool's own.
	const guarded = Object.assign(Object.create(Object.getPrototypeOf(t)), t, { invoke, needsApproval });
	return guarded;
}

module.exports = { guardTools, DENIED_PREFIX };
