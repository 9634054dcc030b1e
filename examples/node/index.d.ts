// Types of the scope Node binding (index.js).

export type Decision = 'allow' | 'ask' | 'deny';
export type Why = 'item' | 'default' | 'no-task' | 'error';
export type Scalar = string | number | bigint | boolean;

export class ScopeError extends Error {
	/** 'SCOPE_EINVAL', 'SCOPE_EFORMAT', ... or 'SCOPE_ECOMPILE' (scopec rejected a source) */
	code: string;
	/** the positive SCOPE_E number (0 for SCOPE_ECOMPILE) */
	errno: number;
}

export interface Request {
	task: string;
	action: string;
	resource?: string;
	context?: Record<string, Scalar>;
}

export interface Result {
	decision: Decision;
	why: Why;
	/** the deciding item (source order), null unless why is 'item' */
	item: number | null;
	/** the deciding item's condition was unknown (read most restrictively) */
	unknown: boolean;
	/** 'FILE:LINE:COL: denies post forum.**', 'no item allows this (default deny)', ... */
	explanation: string;
	/** set when why is 'error': the decision is deny */
	error?: ScopeError;
}

export interface ToolCall {
	task: string;
	/** the action the policy sees, e.g. 'fs.read' */
	tool: string;
	/** a JSON object, or its text */
	arguments?: Record<string, unknown> | string;
	/** base of relative paths; default the process's working directory */
	cwd?: string;
}

export interface ToolResult extends Result {
	/** canonical resource of the deciding request */
	resource?: string;
	/** index of the deciding request */
	request?: number;
	/** how many requests the call was formed into */
	requests?: number;
}

export interface ItemInfo {
	index: number;
	kind: Decision;
	hasCondition: boolean;
	hasLocation: boolean;
	file: string;
	line: number;
	col: number;
	text: string;
}

export type PolicySource = string | URL | Buffer | Uint8Array | ArrayBuffer | DataView;

/** Ed25519 public keys (`scopec keygen`): key file paths or PEM bytes. */
export interface LoadOptions {
	trustedKeys?: Array<string | Buffer | Uint8Array> | null;
}

export class Policy {
	private constructor();
	static load(source: PolicySource, options?: LoadOptions): Policy;
	decide(request: Request): Result;
	decideToolCall(call: ToolCall): ToolResult;
	item(index: number): ItemInfo;
	readonly itemCount: number;
	readonly taskCount: number;
	readonly imageSize: number;
	close(): void;
}

export class Handle {
	constructor(initial?: Policy | PolicySource | null, options?: LoadOptions);
	static attach(id: number): Handle;
	readonly id: number;
	swap(next: Policy | PolicySource | null): void;
	decide(request: Request): Result;
	decideToolCall(call: ToolCall): ToolResult;
	close(): void;
}

export const ERRORS: Readonly<Record<number, string>>;
export function canonicalPath(path: string, cwd?: string): string;
export function canonicalUrl(url: string): string;
export function isBytecode(data: Buffer | Uint8Array | ArrayBuffer | DataView): boolean;
export function strerror(code: number): string;
export function compile(path: string, options?: { strip?: boolean }): Buffer;
