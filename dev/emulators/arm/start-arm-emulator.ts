// startArmEmulator: Microsoft.Network virtualNetworkGateways over HTTPS on loopback, on the emulator framework (bearer
// required as ARM does, faults and statistics per operation name), with in-process and HTTP control APIs. The HTTP
// controls (/_emulator/arm/...) and profile downloads are framework control routes on the same port: they work
// without a token (profiles stand in for blob SAS links) and are never faulted or counted.
import { startEmulator, systemClock } from "../framework";
import type {
  EmulatorCa,
  EmulatorClock,
  EmulatorFaults,
  EmulatorStats,
  EmulatorThrottles,
  ThrottleRule,
} from "../framework";
import { createArmControls, DEFAULT_SERVER_ROOT_CN } from "./arm-controls";
import type { ArmEmulatorControls, ControlSettings } from "./arm-controls";
import { armControlRoutes } from "./arm-control-routes";
import { armRoutes } from "./arm-routes";
import type { ActionContext } from "./gateway-actions";
import type { ConflictForm } from "./conflict";
import { GatewayStore } from "./gateway-store";
import type { IfMatchMode } from "./if-match";
import { RequestGates } from "./request-gates";
import { gatewayKey } from "./resource-id";
import type { VpnProfileSnapshot } from "./vpn-profile";
import { vpnProfilePath, vpnProfileRoutes } from "./vpn-profile-routes";

export interface ArmEmulatorOptions {
  readonly ca: EmulatorCa;
  /** Default 0: a free port. */
  readonly port?: number;
  /** How long each long-running operation stays InProgress; default 2000 ms. Changeable at run time. */
  readonly operationDurationMs?: number;
  /** How long a gateway keeps refusing writes after an operation ends; default 0. */
  readonly conflictTailMs?: number;
  /**
   * Retry-After seconds on operation headers and running polls; default 10, as the network provider sends. null sends
   * none (clients then poll at their own interval): tests use it, or a small value, to run fast.
   */
  readonly pollRetryAfterSeconds?: number | null;
  /** How a busy gateway refuses writes and actions; default "failedOperation", as Azure mostly does. */
  readonly conflictForm?: ConflictForm;
  /** Whether If-Match is enforced on the gateway; default "enforced". */
  readonly ifMatch?: IfMatchMode;
  /** Default the system clock; a virtual clock ends operations when the test advances it. */
  readonly clock?: EmulatorClock;
  readonly throttles?: readonly ThrottleRule[];
  readonly randomSeed?: number;
  readonly log?: (line: string) => void;
}

export interface ArmEmulator {
  /** https://127.0.0.1:port: the client's `endpoint`. */
  readonly url: string;
  readonly port: number;
  /**
   * Base URL of the HTTP controls (/_emulator/arm/...) and of profile downloads, which need no token. The same as
   * `url` (they share its port); kept so callers need not know that.
   */
  readonly controlUrl: string;
  readonly faults: EmulatorFaults;
  readonly stats: EmulatorStats;
  readonly throttles: EmulatorThrottles;
  readonly controls: ArmEmulatorControls;
  stop(): Promise<void>;
}

export const DEFAULT_OPERATION_DURATION_MS = 2000;
/** The Retry-After the network provider sends on operation polls (azure-powershell#20530). */
export const DEFAULT_POLL_RETRY_AFTER_SECONDS = 10;

export async function startArmEmulator(options: ArmEmulatorOptions): Promise<ArmEmulator> {
  const clock = options.clock ?? systemClock;
  const settings: ControlSettings & { clock: () => number } = {
    clock: () => clock.now(),
    operationDurationMs: options.operationDurationMs ?? DEFAULT_OPERATION_DURATION_MS,
    conflictTailMs: options.conflictTailMs ?? 0,
    conflictTailRefusals: 0,
    retryAfterSeconds:
      options.pollRetryAfterSeconds === undefined
        ? DEFAULT_POLL_RETRY_AFTER_SECONDS
        : (options.pollRetryAfterSeconds ?? undefined),
    conflictForm: options.conflictForm ?? "failedOperation",
    ifMatch: options.ifMatch ?? "enforced",
  };
  const gates = new RequestGates();
  const store = new GatewayStore(settings);
  const profiles = new Map<string, VpnProfileSnapshot>();
  const serverRootCns = new Map<string, string>();
  let url = "";
  const ctx: ActionContext = {
    store,
    baseUrl: () => url,
    retryAfterSeconds: () => settings.retryAfterSeconds,
    conflictForm: () => settings.conflictForm,
    ifMatch: () => settings.ifMatch,
    profiles,
    profileUrl: (snapshot) => `${url}${vpnProfilePath(snapshot)}`,
    serverRootCn: (record) => serverRootCns.get(gatewayKey(record.ref)) ?? DEFAULT_SERVER_ROOT_CN,
  };
  const controls = createArmControls(store, settings, serverRootCns, gates, () => {
    profiles.clear();
  });
  const emulator = await startEmulator({
    name: "arm",
    ca: options.ca,
    auth: { mode: "required" },
    routes: armRoutes(ctx, gates),
    controlRoutes: [...armControlRoutes(controls), ...vpnProfileRoutes(profiles, () => clock.now())],
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.throttles === undefined ? {} : { throttles: options.throttles }),
    ...(options.randomSeed === undefined ? {} : { randomSeed: options.randomSeed }),
    ...(options.log === undefined ? {} : { log: options.log }),
    clock,
  });
  url = emulator.url;
  return {
    url: emulator.url,
    port: emulator.port,
    controlUrl: emulator.url,
    faults: emulator.faults,
    stats: emulator.stats,
    throttles: emulator.throttles,
    controls,
    stop: async () => {
      gates.clear();
      await emulator.stop();
    },
  };
}
