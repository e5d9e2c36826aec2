// The embedded dev host: loads the app through the @azure/functions-core stand-in exactly as the Node worker does
// (entry point, then appStart hooks, then the programming model's capabilities), serves its HTTP triggers, the admin
// API, Event Grid and durable task webhooks on 127.0.0.1, runs timer triggers on a Clock, polls the queues of Storage
// queue triggers (host.json extensions.queues), and mounts a durable backend.
// Like the Functions host it reads the route prefix from the app's host.json; like the Durable extension it gives the
// worker's durable client a loopback endpoint of its own, while the public durable webhook needs its system key.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createRealClock } from "./clock";
import type { Clock, DurableBackend, DurableBackendOptions, RegisteredFunction } from "./contracts";
import { coreRegistry, installCoreApi } from "./core-api";
import { WorkerInvoker, firstLine } from "./invoker";
import type { HostLog } from "./invoker";
import { findAppRoot, readHostJson } from "./host-json";
import { generateKeys } from "./keys";
import type { HostKeys } from "./keys";
import {
  AdminInvocationError,
  DURABLE_RPC_PATH,
  buildRoutes,
  createDurableRpcListener,
  createRequestListener,
} from "./server";
import { QueueListener, prepareQueueTrigger } from "./queue-listener";
import { TimerScheduler, prepareTimer } from "./timers";

export type { HostKeys } from "./keys";
export type { HostLog } from "./invoker";

export interface StartHostOptions {
  /**
   * The app: a module path loaded like package.json "main" (e.g. "dist/src/index.js", resolved from the working
   * directory; the core module stand-in is installed first), or a function that loads it — under jest use
   * `() => import("…")` after the one-line jest.mock described in core-api.ts.
   */
  readonly appEntry: string | (() => unknown);
  /** Default 7071; 0 picks a free port. Always bound to 127.0.0.1. */
  readonly port?: number;
  /** Keys to use instead of freshly generated ones. */
  readonly keys?: Partial<HostKeys>;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  readonly createDurableBackend?: (options: DurableBackendOptions) => DurableBackend | Promise<DurableBackend>;
  /** One line per event (invocations, user logs, startup summary). Default: stdout. */
  readonly log?: HostLog;
  /**
   * The function app's root, where host.json is read (extensions.http.routePrefix, default "api") and what appStart
   * hooks get as functionAppDirectory. Default: the nearest directory holding host.json at or above the entry module
   * (for a loader, the working directory), else the entry's own directory.
   */
  readonly appRoot?: string;
  /** Default "TestHubName", the local default of the Durable extension. */
  readonly taskHubName?: string;
  /** Where "%NAME%" in trigger settings (timer schedules) is resolved; default process.env. */
  readonly appSettings?: Readonly<Record<string, string | undefined>>;
}

export interface DevHost {
  /** e.g. http://127.0.0.1:7071 */
  readonly url: string;
  readonly port: number;
  readonly keys: HostKeys;
  readonly invoker: WorkerInvoker;
  readonly clock: Clock;
  readonly durable?: DurableBackend;
  /** Resolves once no admin/timer invocation is running and the durable backend (if any) is idle. */
  idle(): Promise<void>;
  /** Stops timers and the server, waits for running work, stops the durable backend, runs appTerminate hooks. */
  stop(): Promise<void>;
}

const DURABLE_TRIGGERS = new Set(["orchestrationtrigger", "activitytrigger", "entitytrigger"]);
const SHOWN_SYSTEM_LEVELS = new Set(["warning", "error", "critical"]);

export async function startHost(options: StartHostOptions): Promise<DevHost> {
  const log =
    options.log ??
    ((line: string) => {
      process.stdout.write(`${line}\n`);
    });
  const clock =
    options.clock ??
    createRealClock((error) => {
      log(`Clock callback failed: ${firstLine(error)}`);
    });
  const settings = options.appSettings ?? process.env;
  const keys = generateKeys(options.keys);

  coreRegistry.systemLog = (level, message) => {
    if (SHOWN_SYSTEM_LEVELS.has(level)) log(`[system] ${level}: ${message}`);
  };
  const entryDirectory = await loadApp(options.appEntry);
  const appRoot = options.appRoot ?? findAppRoot(entryDirectory);
  const functionAppDirectory = appRoot ?? entryDirectory;
  const { routePrefix, queues: queuesSettings } = readHostJson(appRoot, settings);
  const model = coreRegistry.programmingModel;
  if (model === undefined) {
    throw new Error(
      "@azure/functions never reached @azure/functions-core: install the stand-in before the app's first app.* call " +
        "(see dev/host/core-api.ts; under jest the module must be mocked with { virtual: true })",
    );
  }
  for (const hook of coreRegistry.hooks("appStart")) {
    await hook({
      hookData: coreRegistry.appLevelOnlyHookData,
      appHookData: coreRegistry.appHookData,
      functionAppDirectory,
    });
  }
  const capabilities = (await model.getCapabilities?.({})) ?? {};
  if (capabilities.HttpUri !== undefined) {
    throw new Error("app.setup({ enableHttpStream: true }) is not supported by the dev host");
  }

  let durable: DurableBackend | undefined;
  const invoker = new WorkerInvoker({ registry: coreRegistry, log, durable: () => durable });
  const functions = invoker.functions();
  const { timerFunctions, queueFunctions } = checkFunctions(
    functions,
    invoker,
    options.createDurableBackend !== undefined,
    log,
  );
  const routes = buildRoutes(functions);
  const timers = timerFunctions.map((registered) => prepareTimer(registered, (name) => settings[name]));

  const background = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    const settled: Promise<void> = work.catch(() => undefined).finally(() => background.delete(settled));
    background.add(settled);
  };
  const scheduler = new TimerScheduler({ invoker, clock, log, track });
  const timersByName = new Map(timers.map((timer) => [timer.name, timer]));
  const queueListeners: QueueListener[] = [];
  for (const registered of queueFunctions) {
    const queue = prepareQueueTrigger(registered, (name) => settings[name]);
    if (queue === undefined) {
      log(
        `No listener for queueTrigger "${registered.name}" (its connection setting is unset): run it with POST /admin/functions/${registered.name}`,
      );
      continue;
    }
    queueListeners.push(new QueueListener(queue, { invoker, settings: queuesSettings, log, track }));
  }

  const startAdminInvocation = (registered: RegisteredFunction, input: string | undefined): Promise<void> => {
    const type = registered.trigger.type.toLowerCase();
    const timer = timersByName.get(registered.name);
    if (timer !== undefined) return scheduler.runNow(timer);
    if (type === "httptrigger" || DURABLE_TRIGGERS.has(type)) {
      throw new AdminInvocationError(
        `"${registered.name}" (${registered.trigger.type}) cannot be run from the admin API`,
      );
    }
    // Core Tools hands the input string to the trigger as is; the library parses it when it is JSON.
    return invoker.invokeRpc(registered.name, { string: input ?? "" }).then(() => undefined);
  };

  const rpcServer =
    options.createDurableBackend === undefined ? undefined : createServer(createDurableRpcListener(() => durable, log));
  const server = createServer(
    createRequestListener({
      invoker,
      keys,
      routes,
      routePrefix,
      durable: () => durable,
      startAdminInvocation,
      track,
      log,
    }),
  );
  await listen(server, options.port ?? 7071);
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const closeServer = async (): Promise<void> => {
    await Promise.all([close(server), rpcServer === undefined ? undefined : close(rpcServer)]);
  };
  try {
    // A free port rather than the extension's 17071, so that several hosts (parallel tests) can run at once.
    if (rpcServer !== undefined) await listen(rpcServer, 0);
    const rpcPort = rpcServer === undefined ? undefined : (rpcServer.address() as AddressInfo).port;
    durable = await options.createDurableBackend?.({
      invoker,
      clock,
      taskHubName: options.taskHubName ?? "TestHubName",
      baseUrl: () => url,
      webhookKey: keys.durableTaskKey,
      ...(rpcPort === undefined ? {} : { rpcBaseUrl: `http://127.0.0.1:${rpcPort}${DURABLE_RPC_PATH}/` }),
      log,
    });
  } catch (error) {
    await closeServer();
    throw error;
  }
  // The platform (and Core Tools) sets WEBSITE_HOSTNAME; without it durable-functions' getClient rewrites the client's
  // management URLs to http://localhost:7071, the wrong port for any other host.
  const setHostname = process.env.WEBSITE_HOSTNAME === undefined;
  if (setHostname) process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
  scheduler.start(timers);
  for (const listener of queueListeners) listener.start();
  log(describeFunctions(url, routePrefix, functions, routes));

  const idle = async (): Promise<void> => {
    for (;;) {
      while (background.size > 0) await Promise.all([...background]);
      await durable?.idle();
      if (background.size === 0) return;
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      scheduler.stop();
      await Promise.all(queueListeners.map((listener) => listener.stop()));
      await closeServer();
      while (background.size > 0) await Promise.all([...background]);
      await durable?.stop();
      for (const hook of coreRegistry.hooks("appTerminate")) {
        await hook({ hookData: coreRegistry.appLevelOnlyHookData, appHookData: coreRegistry.appHookData });
      }
      if (setHostname && process.env.WEBSITE_HOSTNAME === `127.0.0.1:${port}`) delete process.env.WEBSITE_HOSTNAME;
    })();
    return stopping;
  };

  return { url, port, keys, invoker, clock, ...(durable === undefined ? {} : { durable }), idle, stop };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/**
 * Imports the app from a module path ahead of startHost (installing the core module stand-in first), so the import
 * can overlap other start-up work; startHost given the same path then finds the module already loaded.
 */
export async function preloadApp(appEntry: string): Promise<void> {
  await loadApp(appEntry);
}

/** Loads the app; returns the entry module's directory (the working directory for a loader). */
async function loadApp(appEntry: StartHostOptions["appEntry"]): Promise<string> {
  if (typeof appEntry !== "string") {
    await appEntry();
    return process.cwd();
  }
  installCoreApi();
  const entryPath = path.resolve(appEntry);
  await import(entryPath);
  return path.dirname(entryPath);
}

/** Fails on what the host could not run; returns the timer and queue functions. */
function checkFunctions(
  functions: readonly RegisteredFunction[],
  invoker: WorkerInvoker,
  hasDurableBackend: boolean,
  log: HostLog,
): { timerFunctions: RegisteredFunction[]; queueFunctions: RegisteredFunction[] } {
  const timers: RegisteredFunction[] = [];
  const queues: RegisteredFunction[] = [];
  for (const registered of functions) {
    invoker.checkBindings(registered);
    const type = registered.trigger.type.toLowerCase();
    const needsDurable =
      DURABLE_TRIGGERS.has(type) ||
      Object.values(registered.metadata.bindings).some((binding) =>
        ["durableclient", "orchestrationclient"].includes(binding.type.toLowerCase()),
      );
    if (needsDurable && !hasDurableBackend) {
      throw new Error(
        `function "${registered.name}" (${registered.trigger.type}) needs Durable Functions, but startHost got no createDurableBackend`,
      );
    }
    if (type === "timertrigger") timers.push(registered);
    else if (type === "queuetrigger") queues.push(registered);
    else if (type !== "httptrigger" && type !== "eventgridtrigger" && !DURABLE_TRIGGERS.has(type)) {
      log(
        `No listener for ${registered.trigger.type} "${registered.name}": run it with POST /admin/functions/${registered.name}`,
      );
    }
  }
  return { timerFunctions: timers, queueFunctions: queues };
}

function describeFunctions(
  url: string,
  routePrefix: string,
  functions: readonly RegisteredFunction[],
  routes: ReturnType<typeof buildRoutes>,
): string {
  const lines = [`Dev host listening on ${url}. Functions:`];
  for (const registered of functions) {
    const route = routes.find((candidate) => candidate.registered === registered);
    if (route === undefined) {
      lines.push(`  ${registered.name}: ${registered.trigger.type}`);
      continue;
    }
    const methods = route.methods === undefined ? "*" : [...route.methods].join(",");
    const prefix = routePrefix === "" ? "" : `/${routePrefix}`;
    lines.push(`  ${registered.name}: [${methods}] ${url}${prefix}/${route.template.template.replace(/^\/+/, "")}`);
  }
  return lines.join("\n");
}
