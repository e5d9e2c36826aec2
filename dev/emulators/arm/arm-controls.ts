// The in-process control surface: seed gateways and connected sessions, inspect state, tune operation timing and
// plan failures. The HTTP control routes call the same methods.
import type { ConflictForm } from "./conflict";
import type { GatewayRecord } from "./gateway-record";
import type { GatewayStore } from "./gateway-store";
import { validateGatewayBody } from "./gateway-validation";
import { gatewayView } from "./gateway-view";
import { requireRadiusSecrets } from "./radius-secrets";
import type { JsonObject } from "./json";
import { nextClientAddress } from "./client-address-pool";
import type { IfMatchMode } from "./if-match";
import type { GatewayOperation, OperationFailure, OperationStatus } from "./operation";
import type { GatedRequest, RequestGate, RequestGates } from "./request-gates";
import { gatewayKey, parseGatewayId } from "./resource-id";
import { createSession, healthDetail } from "./vpn-session";
import type { VpnSessionSeed } from "./vpn-session";

/** Gateway server root CN written into generated profiles until changed with setServerRootCn. */
export const DEFAULT_SERVER_ROOT_CN = "DigiCert Global Root G2";

export interface RunningOperationInfo {
  id: string;
  name: string;
  status: OperationStatus;
  startedAt: string;
  endsAt: string;
}

export interface ArmEmulatorSettings {
  operationDurationMs: number;
  conflictTailMs: number;
  conflictTailRefusals: number;
  /** null: no Retry-After, clients poll at their own interval. */
  pollRetryAfterSeconds: number | null;
  conflictForm: ConflictForm;
  ifMatch: IfMatchMode;
}

export interface ArmEmulatorControls {
  /** Creates or replaces a gateway at once (no operation), validated like a PUT; returns it as GET would. */
  seedGateway(id: string, gateway: object): JsonObject;
  /** The gateway as GET returns it, or undefined. */
  gateway(id: string): JsonObject | undefined;
  /** The object as stored: what the last PUT wrote, secrets included (which GET never returns). */
  storedGateway(id: string): JsonObject | undefined;
  gatewayIds(): string[];
  removeGateway(id: string): boolean;
  /** Adds a connected P2S session; returns its vpnConnectionId. */
  connectSession(gatewayId: string, session: VpnSessionSeed): string;
  /** Sessions as getVpnclientConnectionHealth would list them now. */
  sessions(gatewayId: string): JsonObject[];
  disconnectSession(gatewayId: string, vpnConnectionId: string): boolean;
  operationDurationMs(): number;
  settings(): ArmEmulatorSettings;
  setOperationDurationMs(ms: number): void;
  /** Keeps a gateway refusing writes for this long after each operation ends (default 0). */
  setConflictTailMs(ms: number): void;
  /**
   * Keeps a gateway refusing this many writes and actions after each operation that starts from now on ends, however
   * late they come (default 0): the timed tail without the race against the clock.
   */
  setConflictTailRefusals(count: number): void;
  /** Retry-After (seconds) on operation headers and polls (default 10, as Azure); undefined sends none. */
  setPollRetryAfterSeconds(seconds: number | undefined): void;
  /** How a busy gateway refuses writes and actions: a failed operation (default) or a synchronous 409. */
  setConflictForm(form: ConflictForm): void;
  /** Whether If-Match is enforced (default) or ignored on the gateway. */
  setIfMatchMode(mode: IfMatchMode): void;
  /** Holds the next GET or PUT of the gateway until released (see request-gates.ts). */
  holdNext(gatewayId: string, request: GatedRequest): RequestGate;
  /** The next long-running operation on this gateway ends Failed with this error (a PUT leaves it Failed). */
  failNextOperation(gatewayId: string, failure: OperationFailure): void;
  /** The operation occupying the gateway, if any. */
  runningOperation(gatewayId: string): RunningOperationInfo | undefined;
  /** The long-running operations of this gateway kept so far (ended ones for an hour), oldest first. */
  operations(gatewayId: string): RunningOperationInfo[];
  /** The gateway server root CN that generated profiles report (Microsoft rotates it). */
  setServerRootCn(gatewayId: string, commonName: string): void;
  /** Forgets all gateways, sessions, operations, profiles and settings overrides. */
  reset(): void;
}

export interface ControlSettings {
  operationDurationMs: number;
  conflictTailMs: number;
  conflictTailRefusals: number;
  retryAfterSeconds: number | undefined;
  conflictForm: ConflictForm;
  ifMatch: IfMatchMode;
}

export function createArmControls(
  store: GatewayStore,
  settings: ControlSettings,
  serverRootCns: Map<string, string>,
  gates: RequestGates,
  onReset: () => void,
): ArmEmulatorControls {
  const initial = { ...settings };
  const required = (id: string): GatewayRecord => {
    const record = store.find(parseGatewayId(id));
    if (record === undefined) throw new Error(`No gateway ${id} in the ARM emulator`);
    return record;
  };
  return {
    seedGateway(id, gateway) {
      const ref = parseGatewayId(id);
      const stored = validateGatewayBody(JSON.parse(JSON.stringify(gateway)) as unknown);
      requireRadiusSecrets(stored);
      return gatewayView(store.upsert(ref, stored, "Succeeded"));
    },
    gateway(id) {
      const record = store.find(parseGatewayId(id));
      return record === undefined ? undefined : gatewayView(record);
    },
    storedGateway(id) {
      const record = store.find(parseGatewayId(id));
      return record === undefined ? undefined : structuredClone(record.resource);
    },
    gatewayIds: () => store.all().map((g) => g.id),
    removeGateway: (id) => store.remove(parseGatewayId(id)),
    connectSession(gatewayId, seed) {
      const record = required(gatewayId);
      const used = new Set([...record.sessions.values()].map((s) => s.privateIpAddress));
      const address = seed.privateIpAddress ?? nextClientAddress(record.resource, used);
      const session = createSession(seed, store.now(), address, record.sessions.size);
      record.sessions.set(session.vpnConnectionId, session);
      return session.vpnConnectionId;
    },
    sessions(gatewayId) {
      const now = store.now();
      return [...required(gatewayId).sessions.values()].map((s) => healthDetail(s, now));
    },
    disconnectSession: (gatewayId, vpnConnectionId) => required(gatewayId).sessions.delete(vpnConnectionId),
    operationDurationMs: () => settings.operationDurationMs,
    settings: () => ({
      operationDurationMs: settings.operationDurationMs,
      conflictTailMs: settings.conflictTailMs,
      conflictTailRefusals: settings.conflictTailRefusals,
      pollRetryAfterSeconds: settings.retryAfterSeconds ?? null,
      conflictForm: settings.conflictForm,
      ifMatch: settings.ifMatch,
    }),
    setOperationDurationMs(ms) {
      settings.operationDurationMs = nonNegative(ms, "operationDurationMs");
    },
    setConflictTailMs(ms) {
      settings.conflictTailMs = nonNegative(ms, "conflictTailMs");
    },
    setConflictTailRefusals(count) {
      if (!Number.isInteger(count)) throw new Error(`conflictTailRefusals must be an integer, got ${count}`);
      settings.conflictTailRefusals = nonNegative(count, "conflictTailRefusals");
    },
    setPollRetryAfterSeconds(seconds) {
      settings.retryAfterSeconds = seconds === undefined ? undefined : nonNegative(seconds, "retryAfterSeconds");
    },
    setConflictForm(form) {
      settings.conflictForm = form;
    },
    setIfMatchMode(mode) {
      settings.ifMatch = mode;
    },
    holdNext: (gatewayId, request) => gates.hold(parseGatewayId(gatewayId), request),
    failNextOperation(gatewayId, failure) {
      store.planFailure(required(gatewayId).ref, { code: failure.code, message: failure.message });
    },
    operations: (gatewayId) => store.operationsOf(required(gatewayId)).map(operationInfo),
    runningOperation(gatewayId) {
      const operation = store.occupying(required(gatewayId));
      return operation === undefined ? undefined : operationInfo(operation);
    },
    setServerRootCn(gatewayId, commonName) {
      serverRootCns.set(gatewayKey(required(gatewayId).ref), commonName);
    },
    reset() {
      store.clear();
      serverRootCns.clear();
      gates.clear();
      Object.assign(settings, initial);
      onReset();
    },
  };
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

function operationInfo(operation: GatewayOperation): RunningOperationInfo {
  return {
    id: operation.id,
    name: operation.name,
    status: operation.status,
    startedAt: new Date(operation.startedAtMs).toISOString(),
    endsAt: new Date(operation.endsAtMs).toISOString(),
  };
}
