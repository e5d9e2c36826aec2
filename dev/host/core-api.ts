// Stand-in for `@azure/functions-core`, the virtual module the Functions Node worker injects. @azure/functions looks it
// up lazily on the first app.* / app.hook.* call and caches a failed lookup forever ("test mode"), so the stand-in must
// be resolvable BEFORE the app's first registration.
//
// Plain node process: call installCoreApi() first (startHost does it when given a module path).
// Jest has its own module registry, so the resolver hook does not reach it. Put this ONE line at the top of the test
// file (or in a setupFilesAfterEnv module), adjusting the relative path; jest hoists it above the imports:
//
//   jest.mock("@azure/functions-core", () => jest.requireActual<typeof import("../../../dev/host/core-api")>("../../../dev/host/core-api").coreApi, { virtual: true });
//
// and give startHost an appEntry function that imports the app (so it loads inside the test's registry).
// One registry per module registry: every app loaded in the same process (or jest test file) lands in `coreRegistry`.
import Module from "node:module";
import path from "node:path";
import type { CoreBinding, CoreFunctionMetadata, CoreHandler, RegisteredFunction } from "./contracts";
import type { RpcInvocationRequest, RpcInvocationResponse } from "./rpc";

export const CORE_MODULE_NAME = "@azure/functions-core";

export type CoreLogLevel = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";
export type CoreLogCategory = "user" | "system" | "customMetric";
export type InvocationState = "preInvocationHooks" | "postInvocationHooks" | "invocation" | undefined;

/** What the worker hands the programming model for one invocation. */
export interface CoreInvocationContext {
  readonly invocationId: string;
  readonly request: RpcInvocationRequest;
  readonly metadata: CoreFunctionMetadata;
  state: InvocationState;
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
}

export interface InvocationArguments {
  readonly context: unknown;
  readonly inputs: unknown[];
}

/** The per-invocation object @azure/functions returns from getInvocationModel. */
export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CoreHandler): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  readonly name: string;
  readonly version: string;
  getInvocationModel(context: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookName = "appStart" | "appTerminate" | "preInvocation" | "postInvocation" | "log";
const HOOK_NAMES: readonly HookName[] = ["appStart", "appTerminate", "preInvocation", "postInvocation", "log"];
export type HookCallback = (context: object) => unknown;

export interface CoreDisposable {
  dispose(): void;
}

class Disposable implements CoreDisposable {
  #onDispose: (() => void) | undefined;
  constructor(onDispose: () => void) {
    this.#onDispose = onDispose;
  }
  dispose(): void {
    const onDispose = this.#onDispose;
    this.#onDispose = undefined;
    onDispose?.();
  }
}

/** Everything the app registered through the stand-in. */
export class CoreRegistry {
  readonly #functions = new Map<string, RegisteredFunction>();
  readonly #hooks = new Map<HookName, HookCallback[]>(HOOK_NAMES.map((name) => [name, []]));
  #programmingModel: ProgrammingModel | undefined;
  /** Shared by all hooks across the app's lifetime, as the worker's appHookData. */
  readonly appHookData: Record<string, unknown> = {};
  /** Shared by appStart and appTerminate only, as the worker's appLevelOnlyHookData. */
  readonly appLevelOnlyHookData: Record<string, unknown> = {};
  /** Where library system logs go (coreApi.log); the running host points it at its logger. */
  systemLog: (level: CoreLogLevel, message: string) => void = () => undefined;

  get programmingModel(): ProgrammingModel | undefined {
    return this.#programmingModel;
  }

  functions(): readonly RegisteredFunction[] {
    return [...this.#functions.values()];
  }

  /** Function names are case-insensitive in the host. */
  find(name: string): RegisteredFunction | undefined {
    return this.#functions.get(name.toLowerCase());
  }

  hooks(name: HookName): readonly HookCallback[] {
    return [...(this.#hooks.get(name) ?? [])];
  }

  registerFunction(metadata: unknown, handler: unknown): CoreDisposable {
    const registered = toRegisteredFunction(metadata, handler);
    const key = registered.name.toLowerCase();
    if (this.#functions.has(key)) throw new Error(`A function named "${registered.name}" is already registered`);
    this.#functions.set(key, registered);
    return new Disposable(() => {
      if (this.#functions.get(key) === registered) this.#functions.delete(key);
    });
  }

  setProgrammingModel(model: unknown): void {
    if (!isProgrammingModel(model)) throw new TypeError("setProgrammingModel: not a programming model");
    this.#programmingModel = model;
  }

  registerHook(name: unknown, callback: unknown): CoreDisposable {
    const hooks = typeof name === "string" ? this.#hooks.get(name as HookName) : undefined;
    if (hooks === undefined) {
      // The worker throws a RangeError for unknown hooks; @azure/functions relies on that name.
      throw new RangeError(`Unrecognized hook "${String(name)}"`);
    }
    if (typeof callback !== "function") throw new TypeError("registerHook: callback must be a function");
    const hook = callback as HookCallback;
    hooks.push(hook);
    return new Disposable(() => {
      const index = hooks.indexOf(hook);
      if (index >= 0) hooks.splice(index, 1);
    });
  }
}

export const coreRegistry = new CoreRegistry();

/** The module object `require("@azure/functions-core")` returns. */
export const coreApi = {
  version: "3.10.1-dev-host",
  hostVersion: "4.0.0-dev-host",
  registerFunction: (metadata: unknown, handler: unknown): CoreDisposable =>
    coreRegistry.registerFunction(metadata, handler),
  setProgrammingModel: (model: unknown): void => {
    coreRegistry.setProgrammingModel(model);
  },
  getProgrammingModel: (): ProgrammingModel | undefined => coreRegistry.programmingModel,
  registerHook: (name: unknown, callback: unknown): CoreDisposable => coreRegistry.registerHook(name, callback),
  log: (level: CoreLogLevel, _category: CoreLogCategory, message: string): void => {
    coreRegistry.systemLog(level, message);
  },
  Disposable,
};

/** Node's internals the hook needs (untyped in @types/node). */
interface ModuleInternals {
  _resolveFilename(request: string, ...rest: unknown[]): string;
  _cache: Record<string, Module | undefined>;
}

let installedPath: string | undefined;

/**
 * Makes `require("@azure/functions-core")` return `coreApi` in this node process (not inside jest: see the header).
 * Idempotent. Must run before @azure/functions' first registration call.
 */
export function installCoreApi(): void {
  if (installedPath !== undefined) return;
  const fakePath = path.join(__dirname, "__azure-functions-core__.js");
  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename.bind(Module);
  internals._resolveFilename = (request: string, ...rest: unknown[]): string =>
    request === CORE_MODULE_NAME ? fakePath : original(request, ...rest);
  const cached = new Module(fakePath);
  cached.filename = fakePath;
  cached.loaded = true;
  cached.exports = coreApi;
  // Module._cache is require.cache in a plain process; naming it directly also reaches the real cache from jest.
  internals._cache[fakePath] = cached;
  installedPath = fakePath;
}

function toRegisteredFunction(metadata: unknown, handler: unknown): RegisteredFunction {
  if (typeof handler !== "function") throw new TypeError("registerFunction: handler must be a function");
  if (!isRecord(metadata) || typeof metadata.name !== "string" || metadata.name === "") {
    throw new TypeError("registerFunction: metadata needs a name");
  }
  const name = metadata.name;
  const bindings = metadata.bindings;
  if (!isRecord(bindings)) throw new TypeError(`registerFunction "${name}": metadata needs bindings`);
  const checked: Record<string, CoreBinding> = {};
  for (const [bindingName, binding] of Object.entries(bindings)) {
    if (!isRecord(binding) || typeof binding.type !== "string" || !isDirection(binding.direction)) {
      throw new TypeError(`registerFunction "${name}": binding "${bindingName}" needs a type and a direction`);
    }
    checked[bindingName] = binding as CoreBinding;
  }
  const triggers = Object.values(checked).filter((binding) => isTriggerType(binding.type));
  const [trigger] = triggers;
  if (trigger === undefined || triggers.length > 1) {
    throw new TypeError(`registerFunction "${name}": expected exactly one trigger binding`);
  }
  return {
    name,
    metadata: { ...metadata, name, bindings: checked },
    handler: handler as CoreHandler,
    trigger,
  };
}

/** The library's own test: a binding is a trigger when its type ends in "trigger". */
export function isTriggerType(type: string): boolean {
  return /trigger$/i.test(type);
}

function isDirection(value: unknown): value is CoreBinding["direction"] {
  return value === "in" || value === "out" || value === "inout";
}

function isProgrammingModel(value: unknown): value is ProgrammingModel {
  return isRecord(value) && typeof value.getInvocationModel === "function";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
