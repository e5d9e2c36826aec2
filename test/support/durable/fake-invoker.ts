// A minimal FunctionInvoker for durable backend tests, independent of the dev host: it records what the app registers
// through a stand-in for `@azure/functions-core` and calls the captured handlers as the worker does, with the trigger
// value first and an InvocationContext last. Values cross as JSON both ways, as they do over the worker's RPC.
//
// Each test file that loads an app must put this line first (jest hoists it above the imports):
//   jest.mock("@azure/functions-core", () => jest.requireActual<typeof import("<path>/fake-invoker")>("<path>/fake-invoker").coreStandin, { virtual: true });
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { InvocationContext } from "@azure/functions";
import type { FunctionInput } from "@azure/functions";
import type {
  CoreBinding,
  CoreFunctionMetadata,
  CoreHandler,
  FunctionInvoker,
  InvocationOutcome,
  RegisteredFunction,
} from "../../../dev/host/contracts";

const registered: RegisteredFunction[] = [];

function triggerOf(metadata: CoreFunctionMetadata): CoreBinding {
  const trigger = Object.values(metadata.bindings).find((binding) => binding.type.endsWith("Trigger"));
  if (trigger === undefined) throw new Error(`function ${metadata.name} has no trigger binding`);
  return trigger;
}

/** What the Node worker injects as `@azure/functions-core`, reduced to what registration needs. */
export const coreStandin = {
  registerFunction(metadata: CoreFunctionMetadata, handler: CoreHandler): { dispose(): void } {
    const fn: RegisteredFunction = { name: metadata.name, metadata, handler, trigger: triggerOf(metadata) };
    registered.push(fn);
    return {
      dispose: () => {
        registered.splice(registered.indexOf(fn), 1);
      },
    };
  },
  setProgrammingModel(): void {
    // Invocations go through FakeInvoker, not through a programming model.
  },
  registerHook(): { dispose(): void } {
    return { dispose: () => undefined };
  },
};

/** The part of an invocation context getClient looks at. */
interface ClientContext {
  readonly options: { readonly extraInputs: readonly { readonly type: string }[] };
  readonly extraInputs: { get(input: unknown): unknown };
}

/**
 * `durable-functions` with getClient answering `client()`: as the real getClient, only to an invocation whose function
 * declared the durableClient input (the worker fills it). For `jest.mock("durable-functions", ...)`.
 */
export function durableFunctionsStandin(client: () => unknown): Record<string, unknown> {
  return {
    ...jest.requireActual<typeof import("durable-functions")>("durable-functions"),
    getClient: (context: ClientContext): unknown => {
      const input = context.options.extraInputs.find((candidate) => candidate.type === "durableClient");
      if (input === undefined || context.extraInputs.get(input) === undefined)
        throw new Error("no durableClient input");
      return client();
    },
  };
}

/** Strings cross as strings, everything else as JSON (dates become ISO strings), undefined stays undefined. */
function overTheWire(value: unknown): unknown {
  if (value === undefined || typeof value === "string") return value;
  return JSON.parse(JSON.stringify(value)) as unknown;
}

export class FakeInvoker implements FunctionInvoker {
  /** Fills durableClient inputs; set once the backend exists. */
  clientData: () => Record<string, unknown> = () => {
    throw new Error("no durable backend attached to the fake invoker");
  };
  /** Invocation counts by function name. */
  readonly calls = new Map<string, number>();
  /** What the invoked functions logged, in order, as the host would show it (level and the arguments joined). */
  readonly logs: { readonly level: string; readonly message: string }[] = [];
  readonly #gates = new Map<string, Promise<void>>();

  /** Makes invocations of `functionName` wait until the returned release is called (to see work still queued). */
  hold(functionName: string): () => void {
    let release = (): void => undefined;
    this.#gates.set(
      functionName.toLowerCase(),
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => {
      this.#gates.delete(functionName.toLowerCase());
      release();
    };
  }

  functions(): readonly RegisteredFunction[] {
    return registered;
  }

  async invoke(functionName: string, triggerValue: unknown): Promise<InvocationOutcome> {
    const fn = registered.find((candidate) => candidate.name.toLowerCase() === functionName.toLowerCase());
    if (fn === undefined) throw new Error(`No function named "${functionName}" is registered`);
    await this.#gates.get(fn.name.toLowerCase());
    this.calls.set(fn.name, (this.calls.get(fn.name) ?? 0) + 1);
    const extraInputs: FunctionInput[] = Object.entries(fn.metadata.bindings)
      .filter(([, binding]) => binding.direction === "in" && binding !== fn.trigger)
      .map(([name, binding]) => ({ ...binding, name, type: binding.type }));
    const triggerName = Object.entries(fn.metadata.bindings).find(([, binding]) => binding === fn.trigger)?.[0];
    const context = new InvocationContext({
      functionName: fn.name,
      invocationId: randomUUID(),
      options: { trigger: { ...fn.trigger, name: triggerName ?? "trigger", type: fn.trigger.type }, extraInputs },
      logHandler: (level, ...args) => {
        this.logs.push({ level, message: args.map(String).join(" ") });
      },
    });
    for (const input of extraInputs) {
      if (input.type === "durableClient") context.extraInputs.set(input, this.clientData());
    }
    const started = performance.now();
    const result: unknown = await fn.handler(overTheWire(triggerValue), context);
    return { returnValue: overTheWire(result), outputs: {}, durationMs: performance.now() - started };
  }
}
