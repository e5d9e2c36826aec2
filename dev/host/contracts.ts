// The seams inside the embedded dev host: the function registry (what the app registered through the
// @azure/functions-core stand-in), the invoker (calls a function the way the Node worker does), the clock (real or
// virtual), and the durable backend the host mounts. Local tooling only: never deployed.

/** One binding of a function, as @azure/functions' toCoreFunctionMetadata emits it. */
export interface CoreBinding {
  readonly type: string;
  readonly direction: "in" | "out" | "inout";
  readonly [property: string]: unknown;
}

/** Function metadata as the app passes it to registerFunction. */
export interface CoreFunctionMetadata {
  readonly name: string;
  readonly bindings: Readonly<Record<string, CoreBinding>>;
  readonly retryOptions?: unknown;
  readonly [property: string]: unknown;
}

/** The handler the library registers: the worker calls it with (...triggerAndInputs, InvocationContext). */
export type CoreHandler = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  readonly name: string;
  readonly metadata: CoreFunctionMetadata;
  readonly handler: CoreHandler;
  /** The trigger binding (the one whose type ends in "Trigger"). */
  readonly trigger: CoreBinding;
}

/** What invoking a function produced, converted back from the RPC response. */
export interface InvocationOutcome {
  /** The function's return value (RPC returnValue converted to a JS value; for HTTP, the RPC http object). */
  readonly returnValue: unknown;
  /** Output bindings other than $return, by name. */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
}

export interface FunctionInvoker {
  /**
   * Invokes a registered non-HTTP function as the worker does (programming model → getArguments → handler →
   * getResponse) with `triggerValue` as the trigger binding's data (sent as RPC TypedData json, or string when it is
   * a string). Rejects with the handler's error. Extra input bindings such as durableClient are filled by the host.
   */
  invoke(functionName: string, triggerValue: unknown): Promise<InvocationOutcome>;
  /** All registered functions. */
  functions(): readonly RegisteredFunction[];
}

/** Time source shared by timer triggers and durable timers, so tests can fast-forward both. */
export interface Clock {
  now(): number;
  /**
   * Calls `callback` once the clock reaches `atMs`; returns a cancel function. A callback may return a promise: a
   * virtual clock awaits it before running the next callback, the real clock reports its rejection.
   */
  schedule(atMs: number, callback: () => unknown): () => void;
}

/** A clock the test moves by hand; scheduled callbacks run in time order while advancing. */
export interface VirtualClock extends Clock {
  readonly virtual: true;
  advance(ms: number): Promise<void>;
}

/** A minimal request/response pair so the durable backend can serve its HTTP API through the host's server. */
export interface HostHttpRequest {
  readonly method: string;
  /** Path and query, e.g. /runtime/webhooks/durabletask/instances/abc?showHistory=true */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface HostHttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/**
 * The in-memory durable task hub. The host creates it with the invoker and the clock, routes requests under
 * `/runtime/webhooks/durabletask/` to `handleHttp` (the public webhook once its key is checked, and the worker's
 * unauthenticated loopback endpoint, rewritten to that path), and fills every `durableClient` input binding with
 * `clientBindingData()`.
 */
export interface DurableBackend {
  /** The JSON the durableClient input binding carries (taskHubName, rpcBaseUrl, creationUrls, managementUrls...). */
  clientBindingData(): Record<string, unknown>;
  handleHttp(request: HostHttpRequest): Promise<HostHttpResponse>;
  /** Resolves once no orchestration, activity or entity work is runnable (timers may still be pending). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface DurableBackendOptions {
  readonly invoker: FunctionInvoker;
  readonly clock: Clock;
  readonly taskHubName: string;
  /** e.g. http://127.0.0.1:7071 — the base the client's URLs point at. */
  readonly baseUrl: () => string;
  /**
   * The durable extension's system key. The public URLs (creation and management links, createCheckStatusResponse)
   * carry it as `code`, as Azure's do; without it they carry none (a host that checks no key).
   */
  readonly webhookKey?: string;
  /**
   * Where the worker's durable client sends its calls (the binding's rpcBaseUrl, the extension's local endpoint),
   * ending in "/". Default: the public webhook.
   */
  readonly rpcBaseUrl?: string;
  /**
   * At-least-once delivery, as the Azure Storage backend gives it: with this chance an activity runs twice and a raised
   * event reaches the instance twice, picked by a generator seeded with `seed`. Default: exactly once.
   */
  readonly atLeastOnce?: { readonly seed: number; readonly probability: number };
  readonly log?: (line: string) => void;
}
