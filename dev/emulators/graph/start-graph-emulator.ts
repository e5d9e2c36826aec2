// startGraphEmulator: the slice of Microsoft Graph v1.0 the app calls, over HTTPS on loopback, on the emulator
// framework (bearer required as Graph does, faults and statistics per operation, Graph's error envelope), with one
// security group created at start: the VPN group. Controls under /_emulator/ make users, groups and nesting.
import { startEmulator, systemClock } from "../framework";
import type {
  EmulatorCa,
  EmulatorClock,
  EmulatorFaults,
  EmulatorStats,
  EmulatorThrottles,
  ThrottleRule,
} from "../framework";
import { Directory } from "./directory";
import { graphControlRoutes } from "./graph-control-routes";
import { finishGraphResponse } from "./graph-reply";
import { graphRoutes } from "./graph-routes";
import { DeltaTokens, deltaRoutes } from "./delta";
import { graphEventControlRoutes } from "./graph-event-controls";
import { subscriptionRoutes } from "./subscription-routes";
import { SubscriptionStore } from "./subscriptions";

/** The VPN group's object id unless the caller names another. */
export const DEFAULT_VPN_GROUP_ID = "5b0e1c8a-6f3d-4e2a-9c71-0a1b2c3d4e5f";

export interface GraphEmulatorOptions {
  readonly ca: EmulatorCa;
  /** The VPN group made at start (default DEFAULT_VPN_GROUP_ID, "VPN Users"). */
  readonly vpnGroup?: { readonly id: string; readonly displayName?: string };
  readonly port?: number;
  readonly clock?: EmulatorClock;
  readonly throttles?: readonly ThrottleRule[];
  readonly randomSeed?: number;
  readonly log?: (line: string) => void;
  /** Items per delta page (default 20): small values exercise @odata.nextLink. */
  readonly deltaPageSize?: number;
  /** Delivery attempts per change notification (default 4). */
  readonly deliveryAttempts?: number;
}

export interface GraphEmulator {
  /** https://127.0.0.1:port: the Graph endpoint (requests go to `${url}/v1.0/...`); the controls share it. */
  readonly url: string;
  readonly port: number;
  readonly vpnGroupId: string;
  /** The directory itself, for in-process tests and seeding. */
  readonly directory: Directory;
  readonly faults: EmulatorFaults;
  readonly stats: EmulatorStats;
  readonly throttles: EmulatorThrottles;
  /** Change notification subscriptions, deliveries, the notifications switch. */
  readonly subscriptions: SubscriptionStore;
  /** Delta tokens (expireAll makes every one answer 410). */
  readonly deltaTokens: DeltaTokens;
  stop(): Promise<void>;
}

export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const clock = options.clock ?? systemClock;
  const directory = new Directory(() => clock.now());
  const vpnGroupId = directory.createGroup({
    id: options.vpnGroup?.id ?? DEFAULT_VPN_GROUP_ID,
    displayName: options.vpnGroup?.displayName ?? "VPN Users",
  }).id;
  const subscriptions = new SubscriptionStore(directory, {
    clock,
    ...(options.deliveryAttempts === undefined ? {} : { deliveryAttempts: options.deliveryAttempts }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const deltaTokens = new DeltaTokens();
  const emulator = await startEmulator({
    name: "graph",
    ca: options.ca,
    auth: { mode: "required" },
    // Graph versions by path (/v1.0, /beta), not by api-version.
    requireApiVersion: false,
    // Delta routes first: /groups/delta must not be read as the group "delta".
    routes: [
      ...deltaRoutes(directory, deltaTokens, clock, options.deltaPageSize),
      ...subscriptionRoutes(subscriptions),
      ...graphRoutes(directory),
    ],
    controlRoutes: [
      ...graphControlRoutes(directory, vpnGroupId),
      ...graphEventControlRoutes(subscriptions, deltaTokens),
    ],
    finishResponse: finishGraphResponse,
    clock,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.throttles === undefined ? {} : { throttles: options.throttles }),
    ...(options.randomSeed === undefined ? {} : { randomSeed: options.randomSeed }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return {
    url: emulator.url,
    port: emulator.port,
    vpnGroupId,
    directory,
    faults: emulator.faults,
    stats: emulator.stats,
    throttles: emulator.throttles,
    subscriptions,
    deltaTokens,
    stop: async () => {
      subscriptions.setNotificationsEnabled(false);
      await subscriptions.settled();
      await emulator.stop();
    },
  };
}
