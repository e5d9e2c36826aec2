// Small fakes for the gateway activities: the in-memory ledger with the gateway tables (write fence, journal, sync
// records, sessions to end) and a scripted gateway client that records every call it gets.
import type { VirtualNetworkGateway } from "@azure/arm-network";
import type { Services } from "../../../src/activities/services";
import type {
  GatewayRef,
  GatewaySnapshot,
  VpnSession,
  WritePollLimits,
  WriteProgress,
} from "../../../src/clients/gateway";
import type { GatewaySyncRecord } from "../../../src/domain/ledger";
import type { P2sCertificateState } from "../../../src/domain/gateway-config";
import { isOlderTicket } from "../../../src/domain/gateway-write-journal";
import type { JournaledWrite, WriteTicket } from "../../../src/domain/gateway-write-journal";
import { FakeLedger } from "./activity-fakes";

export const GATEWAY_ID =
  "/subscriptions/sub-1/resourceGroups/rg-vpn/providers/Microsoft.Network/virtualNetworkGateways/GW-West";

export class GatewayLedger extends FakeLedger {
  fence: WriteTicket | undefined;
  readonly claims: { gatewayId: string; ticket: WriteTicket; passId: string }[] = [];
  readonly journal = new Map<string, JournaledWrite>();
  readonly journaledFor: string[] = [];
  readonly syncs: GatewaySyncRecord[] = [];
  readonly sessionsToEnd = new Map<string, Set<string>>();
  readonly marks: { gatewayId: string; users: readonly string[]; at: Date }[] = [];
  readonly cleared: { gatewayId: string; keys: readonly string[] }[] = [];

  claimGatewayWrite(gatewayId: string, ticket: WriteTicket, passId: string): Promise<boolean> {
    this.claims.push({ gatewayId, ticket, passId });
    if (this.fence !== undefined && isOlderTicket(ticket, this.fence)) return Promise.resolve(false);
    this.fence = ticket;
    return Promise.resolve(true);
  }

  journalGatewayWrite(gatewayId: string, write: JournaledWrite): Promise<void> {
    this.journaledFor.push(gatewayId);
    this.journal.set(write.key, write);
    return Promise.resolve();
  }

  listGatewayWrites(gatewayId: string): Promise<JournaledWrite[]> {
    this.journaledFor.push(`list:${gatewayId}`);
    return Promise.resolve([...this.journal.values()]);
  }

  clearGatewayWrites(gatewayId: string, keys: readonly string[]): Promise<void> {
    this.cleared.push({ gatewayId, keys });
    for (const key of keys) this.journal.delete(key);
    return Promise.resolve();
  }

  recordGatewaySync(record: GatewaySyncRecord): Promise<void> {
    this.syncs.push(record);
    return Promise.resolve();
  }

  markSessionsToEnd(gatewayId: string, users: readonly string[], at: Date): Promise<void> {
    this.marks.push({ gatewayId, users, at });
    const set = this.sessionsToEnd.get(gatewayId) ?? new Set<string>();
    for (const user of users) set.add(user);
    this.sessionsToEnd.set(gatewayId, set);
    return Promise.resolve();
  }

  listSessionsToEnd(gatewayId: string): Promise<string[]> {
    return Promise.resolve([...(this.sessionsToEnd.get(gatewayId) ?? [])]);
  }

  clearSessionsToEnd(gatewayId: string, users: readonly string[]): Promise<void> {
    const set = this.sessionsToEnd.get(gatewayId);
    for (const user of users) set?.delete(user);
    return Promise.resolve();
  }
}

/** A gateway client whose answers each test sets; it records every call with its arguments. */
export class FakeGateways {
  readonly reads: GatewayRef[] = [];
  readonly writes: { ref: GatewayRef; from: GatewaySnapshot; next: P2sCertificateState }[] = [];
  readonly polls: { ref: GatewayRef; operation: string; limits: WritePollLimits }[] = [];
  readonly disconnects: { ref: GatewayRef; ids: readonly string[] }[] = [];
  readonly sessionLookups: GatewayRef[] = [];
  /** Each read answers the next snapshot (the last one repeats), or throws it when it is an Error. */
  snapshots: (GatewaySnapshot | Error)[] = [];
  begin: WriteProgress | Error = { state: "running", operation: "op-1" };
  poll: WriteProgress | Error = { state: "running", operation: "op-2" };
  live: VpnSession[] | Error = [];
  disconnectError: Error | undefined;

  read(ref: GatewayRef): Promise<GatewaySnapshot> {
    this.reads.push(ref);
    const next = this.snapshots.length > 1 ? this.snapshots.shift() : this.snapshots[0];
    if (next === undefined) throw new Error("no snapshot scripted");
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }

  beginWrite(ref: GatewayRef, from: GatewaySnapshot, next: P2sCertificateState): Promise<WriteProgress> {
    this.writes.push({ ref, from, next });
    return this.begin instanceof Error ? Promise.reject(this.begin) : Promise.resolve(this.begin);
  }

  pollWrite(ref: GatewayRef, operation: string, limits: WritePollLimits): Promise<WriteProgress> {
    this.polls.push({ ref, operation, limits });
    return this.poll instanceof Error ? Promise.reject(this.poll) : Promise.resolve(this.poll);
  }

  sessions(ref: GatewayRef): Promise<VpnSession[]> {
    this.sessionLookups.push(ref);
    return this.live instanceof Error ? Promise.reject(this.live) : Promise.resolve(this.live);
  }

  disconnect(ref: GatewayRef, ids: readonly string[]): Promise<void> {
    this.disconnects.push({ ref, ids });
    return this.disconnectError === undefined ? Promise.resolve() : Promise.reject(this.disconnectError);
  }
}

export interface GatewayServices {
  readonly ledger: GatewayLedger;
  readonly gateways: FakeGateways;
  readonly config: { GATEWAY_RADIUS_SECRET_NAME?: string; CA_ROOT_NAME: string };
  readonly keyVault: { readonly secrets: { getSecret: jest.Mock } };
}

export function gatewayServices(): GatewayServices {
  return {
    ledger: new GatewayLedger(),
    gateways: new FakeGateways(),
    config: { CA_ROOT_NAME: "p2s-root" },
    keyVault: { secrets: { getSecret: jest.fn(() => Promise.reject(new Error("no secret scripted"))) } },
  };
}

export function asGatewayServices(fake: GatewayServices): Services {
  return fake as unknown as Services;
}

/** A gateway as read: its P2S state, the object around it, its ETag and provisioning state. */
export function snapshot(
  state: P2sCertificateState,
  provisioningState: string | undefined = "Succeeded",
  etag: string | undefined = 'W/"1"',
  gateway: VirtualNetworkGateway = { location: "westeurope" },
): GatewaySnapshot {
  return { gateway, etag, state, provisioningState };
}
