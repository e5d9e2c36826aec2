// The in-memory durable task hub the dev host mounts: orchestrations, activities, timers, external events,
// sub-orchestrations, continueAsNew and entities, all run through durable-functions' own replay by invoking the
// registered functions with real history, as the Durable extension does. See dev/durable/README.md.
import type { DurableBackend, DurableBackendOptions, HostHttpRequest, HostHttpResponse } from "../host/contracts";
import { clientBindingData } from "./client-binding";
import { EntityEngine } from "./entities";
import { DurableHttpApi } from "./http-api";
import type { RuntimeStatus } from "./instance";
import { OrchestrationEngine } from "./orchestration-engine";
import type { HistoryEvent } from "./protocol";
import { Redelivery } from "./redelivery";
import type { AtLeastOnceOptions } from "./redelivery";
import { AfterEffectFailures } from "./after-effect-failures";
import type { AfterEffectFailureOptions } from "./after-effect-failures";
import { WorkScheduler } from "./work-scheduler";

/** One orchestration instance as the backend holds it, for tests and diagnostics. */
export interface InstanceSnapshot {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly input: unknown;
  readonly output: unknown;
  readonly customStatus: unknown;
  readonly createdAtMs: number;
  readonly lastUpdatedAtMs: number;
  readonly parentInstanceId?: string;
  /** The current execution's raw history, as the orchestrator is shown it. */
  readonly history: readonly HistoryEvent[];
}

export interface LocalDurableBackend extends DurableBackend {
  /** A copy of an instance's state and raw history; undefined when there is no such instance. */
  inspect(instanceId: string): InstanceSnapshot | undefined;
  /** Every orchestration instance's id, oldest first (tests that scan all history). */
  instanceIds(): string[];
  /**
   * Switches at-least-once delivery on or off (undefined) from now on, e.g. for a test that counts the writes of one
   * orchestration's own attempts.
   */
  setAtLeastOnce(options: AtLeastOnceOptions | undefined): void;
  /** Switches after-effect failures (completed activities reported failed) on or off (undefined) from now on. */
  setAfterEffectFailures(options: AfterEffectFailureOptions | undefined): void;
  /** How many activity completions the after-effect failure mode has turned into failures. */
  afterEffectFailuresInjected(): number;
}

export interface LocalDurableBackendOptions extends DurableBackendOptions {
  /** Activities that fail after their side effect (dev/durable/after-effect-failures.ts). Default: never. */
  readonly afterEffectFailures?: AfterEffectFailureOptions;
}

export function createDurableBackend(options: LocalDurableBackendOptions): LocalDurableBackend {
  const log = options.log ?? (() => undefined);
  const redelivery = new Redelivery(options.atLeastOnce);
  const afterEffectFailures = new AfterEffectFailures(options.afterEffectFailures);
  // The engines are created below; the scheduler only asks them for work once they exist.
  const scheduler = new WorkScheduler(() => [...orchestrations.findWork(), ...entities.findWork()], log);
  const work = (): WorkScheduler => scheduler;
  const entities = new EntityEngine({ invoker: options.invoker, clock: options.clock, work, log });
  const orchestrations = new OrchestrationEngine({
    invoker: options.invoker,
    clock: options.clock,
    work,
    entities,
    redelivery,
    afterEffectFailures,
    log,
  });
  if (options.atLeastOnce !== undefined) {
    log(
      `durable: at-least-once delivery on (seed ${String(options.atLeastOnce.seed)}, p ${String(options.atLeastOnce.probability)})`,
    );
  }
  if (options.afterEffectFailures !== undefined) {
    log(
      `durable: after-effect failures on (seed ${String(options.afterEffectFailures.seed)}, p ${String(options.afterEffectFailures.probability)})`,
    );
  }
  const api = new DurableHttpApi({
    orchestrations,
    entities,
    invoker: options.invoker,
    taskHubName: options.taskHubName,
    baseUrl: options.baseUrl,
    webhookKey: options.webhookKey,
  });
  const binding = { webhookKey: options.webhookKey, rpcBaseUrl: options.rpcBaseUrl };

  return {
    clientBindingData: () => clientBindingData(options.baseUrl(), options.taskHubName, binding),

    handleHttp(request: HostHttpRequest): Promise<HostHttpResponse> {
      if (work().stopped) return Promise.resolve({ status: 503, body: "The durable backend has stopped." });
      try {
        return Promise.resolve(api.handle(request));
      } catch (error) {
        log(
          `durable: HTTP ${request.method} ${request.url} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return Promise.resolve({ status: 500, body: "Something went wrong while processing your request" });
      }
    },

    idle: () => work().idle(),

    async stop(): Promise<void> {
      orchestrations.cancelAllTimers();
      await work().stop();
      // Episodes that were running when stop() began may have armed timers since.
      orchestrations.cancelAllTimers();
    },

    setAtLeastOnce(atLeastOnce: AtLeastOnceOptions | undefined): void {
      redelivery.configure(atLeastOnce);
      log(`durable: at-least-once delivery ${atLeastOnce === undefined ? "off" : "on"}`);
    },

    setAfterEffectFailures(failures: AfterEffectFailureOptions | undefined): void {
      afterEffectFailures.configure(failures);
      log(`durable: after-effect failures ${failures === undefined ? "off" : "on"}`);
    },

    afterEffectFailuresInjected: () => afterEffectFailures.injected,

    instanceIds: () => orchestrations.query({}).map((instance) => instance.instanceId),

    inspect(instanceId: string): InstanceSnapshot | undefined {
      const instance = orchestrations.get(instanceId);
      if (instance === undefined) return undefined;
      return {
        instanceId: instance.instanceId,
        name: instance.name,
        runtimeStatus: instance.status,
        input: instance.execution.input,
        output: instance.output,
        customStatus: instance.customStatus,
        createdAtMs: instance.createdAtMs,
        lastUpdatedAtMs: instance.lastUpdatedAtMs,
        ...(instance.parent === undefined ? {} : { parentInstanceId: instance.parent.instanceId }),
        history: instance.execution.history.map((event) => ({ ...event })),
      };
    },
  };
}
