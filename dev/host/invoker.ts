// Invokes registered functions the way the Node worker's InvocationHandler does: build the core invocation context
// from an RPC invocation request, ask the programming model for an invocation model, getArguments, run preInvocation
// hooks, invokeFunction, run postInvocation hooks (which may replace the result or clear the error), getResponse.
import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { inspect } from "node:util";
import type { DurableBackend, FunctionInvoker, InvocationOutcome, RegisteredFunction } from "./contracts";
import { isTriggerType } from "./core-api";
import type { CoreInvocationContext, CoreLogCategory, CoreLogLevel, CoreRegistry, InvocationState } from "./core-api";
import { fromTypedData, toTypedData } from "./rpc";
import type { RpcInvocationResponse, RpcParameterBinding, RpcRetryContext, RpcTypedData } from "./rpc";

export type HostLog = (line: string) => void;

export interface RpcInvokeOptions {
  readonly triggerMetadata?: Readonly<Record<string, RpcTypedData>>;
  readonly retryContext?: RpcRetryContext;
}

export interface RpcInvocationResult {
  readonly invocationId: string;
  readonly response: RpcInvocationResponse;
  readonly durationMs: number;
}

export interface WorkerInvokerOptions {
  readonly registry: CoreRegistry;
  readonly log: HostLog;
  /** The durable backend that fills durableClient inputs; undefined while none is mounted. */
  readonly durable: () => DurableBackend | undefined;
}

const DURABLE_CLIENT_TYPES = new Set(["durableclient", "orchestrationclient"]);
const SHOWN_LEVELS = new Set<CoreLogLevel>(["information", "warning", "error", "critical"]);
const SHOWN_SYSTEM_LEVELS = new Set<CoreLogLevel>(["warning", "error", "critical"]);

export class WorkerInvoker implements FunctionInvoker {
  readonly #registry: CoreRegistry;
  readonly #log: HostLog;
  readonly #durable: () => DurableBackend | undefined;

  constructor(options: WorkerInvokerOptions) {
    this.#registry = options.registry;
    this.#log = options.log;
    this.#durable = options.durable;
  }

  functions(): readonly RegisteredFunction[] {
    return this.#registry.functions();
  }

  /** Case-insensitive lookup, as the host's function names. */
  find(functionName: string): RegisteredFunction | undefined {
    return this.#registry.find(functionName);
  }

  async invoke(functionName: string, triggerValue: unknown): Promise<InvocationOutcome> {
    const { response, durationMs } = await this.invokeRpc(functionName, toTypedData(triggerValue));
    const outputs: Record<string, unknown> = {};
    for (const binding of response.outputData ?? []) outputs[binding.name] = fromTypedData(binding.data);
    return { returnValue: fromTypedData(response.returnValue), outputs, durationMs };
  }

  /**
   * One invocation with the trigger binding's data given as RPC TypedData. Resolves with the RPC response; rejects
   * with the function's error (after postInvocation hooks, which may clear it).
   */
  async invokeRpc(
    functionName: string,
    triggerData: RpcTypedData | undefined,
    options: RpcInvokeOptions = {},
  ): Promise<RpcInvocationResult> {
    const registered = this.find(functionName);
    if (registered === undefined) throw new Error(`No function named "${functionName}" is registered`);
    const name = registered.name;
    const invocationId = randomUUID();
    const started = performance.now();
    try {
      const response = await this.#run(registered, invocationId, triggerData, options);
      const durationMs = performance.now() - started;
      this.#log(invocationLine(name, invocationId, durationMs));
      return { invocationId, response, durationMs };
    } catch (error) {
      this.#log(invocationLine(name, invocationId, performance.now() - started, { error }));
      throw error;
    }
  }

  /** Throws when a function has an input binding the host cannot fill. */
  checkBindings(registered: RegisteredFunction): void {
    for (const [bindingName, binding] of Object.entries(registered.metadata.bindings)) {
      if (binding.direction !== "in" || isTriggerType(binding.type)) continue;
      if (!DURABLE_CLIENT_TYPES.has(binding.type.toLowerCase())) {
        throw new Error(
          `function "${registered.name}": input binding "${bindingName}" of type "${binding.type}" is not supported by the dev host`,
        );
      }
    }
  }

  async #run(
    registered: RegisteredFunction,
    invocationId: string,
    triggerData: RpcTypedData | undefined,
    options: RpcInvokeOptions,
  ): Promise<RpcInvocationResponse> {
    const model = this.#registry.programmingModel;
    if (model === undefined) throw new Error("No programming model was set through @azure/functions-core");
    const inputData = this.#inputData(registered, triggerData);
    // The library's InvocationContext exists only after getArguments; log hooks receive it from then on.
    const current: { context: unknown } = { context: undefined };
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: registered.name,
        inputData,
        triggerMetadata: options.triggerMetadata ?? {},
        ...(options.retryContext === undefined ? {} : { retryContext: options.retryContext }),
        traceContext: {
          traceParent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`,
          traceState: "",
          attributes: {},
        },
      },
      metadata: registered.metadata,
      state: undefined as InvocationState,
      log: (level, category, message) => {
        this.#userLog(registered.name, level, category, message, current.context);
      },
    };

    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs } = await invocationModel.getArguments();
    current.context = context;
    const hookData: Record<string, unknown> = {};
    const appHookData = this.#registry.appHookData;

    const preContext = {
      hookData,
      appHookData,
      invocationContext: context,
      functionCallback: registered.handler,
      inputs,
    };
    coreContext.state = "preInvocationHooks";
    try {
      for (const hook of this.#registry.hooks("preInvocation")) await hook(preContext);
    } finally {
      coreContext.state = undefined;
    }

    const postContext: Record<string, unknown> = {
      hookData,
      appHookData,
      invocationContext: context,
      inputs: preContext.inputs,
      result: null,
      error: null,
    };
    coreContext.state = "invocation";
    try {
      postContext.result = await invocationModel.invokeFunction(
        context,
        preContext.inputs,
        preContext.functionCallback,
      );
    } catch (error) {
      postContext.error = error;
    } finally {
      coreContext.state = undefined;
    }

    coreContext.state = "postInvocationHooks";
    try {
      for (const hook of this.#registry.hooks("postInvocation")) await hook(postContext);
    } finally {
      coreContext.state = undefined;
    }
    const error = postContext.error;
    if (error instanceof Error) throw error;
    if (error !== null && error !== undefined) throw new Error(typeof error === "string" ? error : inspect(error));
    return invocationModel.getResponse(context, postContext.result);
  }

  #inputData(registered: RegisteredFunction, triggerData: RpcTypedData | undefined): RpcParameterBinding[] {
    this.checkBindings(registered);
    const inputs: RpcParameterBinding[] = [];
    for (const [bindingName, binding] of Object.entries(registered.metadata.bindings)) {
      if (binding.direction !== "in") continue;
      if (isTriggerType(binding.type)) {
        inputs.push({ name: bindingName, data: triggerData ?? null });
        continue;
      }
      const durable = this.#durable();
      if (durable === undefined) {
        throw new Error(`function "${registered.name}" takes a durable client, but the host has no durable backend`);
      }
      // The extension passes the client's binding data as a JSON string.
      inputs.push({ name: bindingName, data: { string: JSON.stringify(durable.clientBindingData()) } });
    }
    return inputs;
  }

  #userLog(
    functionName: string,
    level: CoreLogLevel,
    category: CoreLogCategory,
    message: string,
    invocationContext: unknown,
  ): void {
    const entry = {
      hookData: {},
      appHookData: this.#registry.appHookData,
      level,
      message,
      category,
      invocationContext,
    };
    for (const hook of this.#registry.hooks("log")) {
      const report = (error: unknown): void => {
        this.#log(`[${functionName}] log hook failed: ${firstLine(error)}`);
      };
      try {
        const result: unknown = hook(entry);
        if (result instanceof Promise) result.catch(report);
      } catch (error) {
        report(error);
      }
    }
    const shown = entry.category === "user" ? SHOWN_LEVELS : SHOWN_SYSTEM_LEVELS;
    if (shown.has(entry.level))
      this.#log(`[${functionName}] ${entry.level === "information" ? "" : `${entry.level}: `}${entry.message}`);
  }
}

/**
 * The one line per invocation, as the Functions host logs it. Both outcomes format the duration here, in whole
 * milliseconds, so the two cannot drift apart. `failure` given: the invocation failed with its error.
 */
export function invocationLine(
  functionName: string,
  invocationId: string,
  durationMs: number,
  failure?: { readonly error: unknown },
): string {
  const outcome = failure === undefined ? "Succeeded" : "Failed";
  const line = `Executed 'Functions.${functionName}' (${outcome}, Id=${invocationId}, Duration=${Math.round(durationMs)}ms)`;
  return failure === undefined ? line : `${line}: ${firstLine(failure.error)}`;
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split(/\r?\n/, 1)[0] ?? "";
}
