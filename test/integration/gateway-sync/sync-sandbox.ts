// The whole app on the sandbox, seen from the gateway writer's side: ledger state created directly, the gateway read
// and hand-edited through the real @azure/arm-network client, the writer run on demand and waited for until settled.
// Test files that use it must mock the worker's core module first (see test/support/sandbox.ts).
import { randomBytes } from "node:crypto";
import { GatewayClient, parseGatewayId } from "../../../src/clients/gateway";
import type { GatewayRef, GatewaySnapshot } from "../../../src/clients/gateway";
import { Ledger } from "../../../src/clients/ledger";
import { getConfig } from "../../../src/config";
import type { RevokedEntry } from "../../../src/domain/gateway-config";
import { gatewayWriterInstanceId } from "../../../src/domain/gateway-writer-id";
import type { AuditEntry, CertificateRecord } from "../../../src/domain/ledger";
import type { EmulatorClock } from "../../../dev/emulators/framework";
import type { AtLeastOnceOptions } from "../../../dev/durable/redelivery";
import type { Clock } from "../../../dev/host/contracts";
import { startTestSandbox, testAtLeastOnce } from "../../support/sandbox";
import type { TestSandbox } from "../../support/sandbox";
import { within } from "../../support/wait";

/** A schedule that never fires during a test: only the test runs the safety net. */
export const NEVER = "0 0 0 1 1 *";

const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);
/** The writer's custom state while it sleeps until a request wakes it. */
const WAITING = "waiting";
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long settle() waits for the writer (a writer that never settles fails the test with its last state). */
const SETTLE_TIMEOUT_MS = 60_000;

export interface WriterSnapshot {
  readonly runtimeStatus: string;
  readonly output: unknown;
  readonly customStatus: unknown;
  readonly history: readonly Record<string, unknown>[];
}

export interface SyncSandbox {
  readonly sandbox: TestSandbox;
  readonly gatewayId: string;
  readonly ref: GatewayRef;
  readonly writerId: string;
  readonly ledger: Ledger;
  /** The gateway through the real SDK (a GET; not a write). */
  read(): Promise<GatewaySnapshot>;
  /** A hand edit as an operator would make it: read, change the revoked list, PUT with the read's ETag. */
  handEdit(change: (revoked: readonly RevokedEntry[]) => RevokedEntry[]): Promise<void>;
  /** Successful gateway PUTs so far (faulted and refused ones excluded). */
  writes(): number;
  /**
   * PUTs the gateway carried out (their operation Succeeded), as the emulator counts them: unlike writes(), a PUT
   * the busy gateway accepted and failed at once (AnotherOperationInProgress) is not one.
   */
  appliedWrites(): number;
  /** Every PUT answer by HTTP status. */
  putStatuses(): Readonly<Record<string, number>>;
  /** Runs the safety-net timer now, as the Functions admin API does. */
  reconcile(): Promise<void>;
  /** Waits (60 s at most) until the writer has failed or sleeps in sync with nothing in flight; returns its state. */
  settle(): Promise<WriterSnapshot>;
  writer(): WriterSnapshot | undefined;
  /** Puts `count` revoked records for `upn` straight into the ledger; returns their thumbprints. */
  revokeInLedger(count: number, options?: { upn?: string; notAfter?: Date }): Promise<string[]>;
  /** Puts one active certificate for `upn` into the ledger (offboarding revokes it); returns its thumbprint. */
  activeInLedger(upn: string): Promise<string>;
  /** The gateway's audit entries with this action (every one when none is given). */
  audit(action?: string): Promise<AuditEntry[]>;
  /** POST /api/v1/users/{upn}/revocations; returns the offboarding instance id. */
  offboard(upn: string, requestId: string): Promise<string>;
  stop(): Promise<void>;
}

export function thumbprint(): string {
  return randomBytes(20).toString("hex").toUpperCase();
}

export async function startSyncSandbox(
  options: {
    settings?: Record<string, string>;
    gatewayOperationMs?: number;
    gateways?: number;
    armClock?: EmulatorClock;
    /** The host's clock (durable timers, timer triggers); default the wall clock. */
    clock?: Clock;
    /** Default as every test sandbox (testAtLeastOnce); undefined: exactly once. */
    atLeastOnce?: AtLeastOnceOptions | undefined;
  } = {},
): Promise<SyncSandbox> {
  const sandbox = await startTestSandbox({
    ...(options.gatewayOperationMs === undefined ? {} : { gatewayOperationMs: options.gatewayOperationMs }),
    ...(options.gateways === undefined ? {} : { gateways: options.gateways }),
    ...(options.armClock === undefined ? {} : { armClock: options.armClock }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    atLeastOnce: "atLeastOnce" in options ? options.atLeastOnce : testAtLeastOnce(),
    settings: { GATEWAY_RECONCILE_SCHEDULE: NEVER, ...options.settings },
  });
  const gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
  const ref = parseGatewayId(gatewayId);
  const writerId = gatewayWriterInstanceId(gatewayId);
  const config = getConfig();
  const ledger = Ledger.fromConfig(config);
  const gateways = new GatewayClient(config, { pollIntervalMs: 10 });
  let serial = 0;

  const writer = (): WriterSnapshot | undefined => {
    const snapshot = sandbox.durable.inspect(writerId);
    if (snapshot === undefined) return undefined;
    return {
      runtimeStatus: snapshot.runtimeStatus,
      output: snapshot.output,
      customStatus: snapshot.customStatus,
      history: snapshot.history as unknown as Record<string, unknown>[],
    };
  };

  const settle = async (): Promise<WriterSnapshot> => {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    const idle = (): Promise<void> =>
      within(sandbox.host.idle(), {
        timeoutMs: Math.max(1, deadline - Date.now()),
        message: `the host to go idle while settling the writer (writer: ${JSON.stringify(writer()?.customStatus)})`,
      });
    for (;;) {
      await idle();
      const snapshot = writer();
      if (snapshot === undefined) throw new Error("the gateway writer never started");
      const state = (snapshot.customStatus as { state?: unknown } | null)?.state;
      if (TERMINAL.has(snapshot.runtimeStatus)) return snapshot;
      if (state === WAITING) {
        // Waiting and the host idle: nothing is queued for the writer (an event would be runnable work).
        await idle();
        const again = writer();
        if (again !== undefined && JSON.stringify(again.customStatus) === JSON.stringify(snapshot.customStatus)) {
          return again;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the writer did not settle within ${SETTLE_TIMEOUT_MS} ms: ${snapshot.runtimeStatus} ${JSON.stringify(snapshot.customStatus)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const put = async (record: CertificateRecord): Promise<void> => {
    await ledger.putCertificate(record);
  };

  const record = (upn: string, status: "active" | "revoked", notAfter: Date): CertificateRecord => {
    serial++;
    const now = new Date();
    return {
      userKey: upn.toLowerCase(),
      upn,
      certificateName: `p2s-test-${Date.now().toString(36)}-${serial}`,
      status,
      requestId: `TEST-${serial}`,
      source: "api",
      sourceId: `TEST-${serial}`,
      thumbprint: thumbprint(),
      notBefore: new Date(now.getTime() - DAY_MS),
      notAfter,
      ...(status === "revoked" ? { revokedAt: now, revocationReason: "test" } : {}),
      updatedAt: now,
    };
  };

  return {
    sandbox,
    gatewayId,
    ref,
    writerId,
    ledger,
    read: () => gateways.read(ref),
    handEdit: async (change) => {
      const before = await gateways.read(ref);
      await gateways.write(ref, before, { roots: before.state.roots, revoked: change(before.state.revoked) });
    },
    writes: () => {
      const byStatus = sandbox.arm.stats.operation("virtualNetworkGateways.put").byStatus;
      return (byStatus["200"] ?? 0) + (byStatus["201"] ?? 0);
    },
    appliedWrites: () =>
      sandbox.arm.controls
        .operations(gatewayId)
        .filter((o) => o.name === "virtualNetworkGateways.put" && o.status === "Succeeded").length,
    putStatuses: () => sandbox.arm.stats.operation("virtualNetworkGateways.put").byStatus,
    reconcile: async () => {
      const response = await fetch(`${sandbox.endpoints.host}/admin/functions/gatewayReconcile`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-functions-key": sandbox.endpoints.masterKey },
        body: JSON.stringify({ input: "" }),
      });
      if (response.status !== 202) throw new Error(`gatewayReconcile answered ${response.status}`);
    },
    settle,
    writer,
    revokeInLedger: async (count, { upn = "leaver@contoso.com", notAfter } = {}) => {
      const records = Array.from({ length: count }, () =>
        record(upn, "revoked", notAfter ?? new Date(Date.now() + 30 * DAY_MS)),
      );
      // A few at a time: the machine's two cores are shared with the host and the emulators.
      for (let i = 0; i < records.length; i += 25) await Promise.all(records.slice(i, i + 25).map(put));
      return records.map((r) => r.thumbprint ?? "");
    },
    activeInLedger: async (upn) => {
      const r = record(upn, "active", new Date(Date.now() + 30 * DAY_MS));
      await put(r);
      return r.thumbprint ?? "";
    },
    audit: async (action) => {
      const entries = await ledger.listAudit(`gateway:${ref.name.toLowerCase()}`);
      return action === undefined ? entries : entries.filter((e) => e.action === action);
    },
    offboard: async (upn, requestId) => {
      const response = await sandbox.api("POST", `/api/v1/users/${encodeURIComponent(upn)}/revocations`, {
        requestId,
        reason: "left the company",
      });
      if (response.status !== 202) throw new Error(`offboarding ${upn} answered ${response.status}: ${response.text}`);
      return sandbox.instanceOf(response.body);
    },
    stop: () => sandbox.stop(),
  };
}

/** Thumbprints on the gateway's revocation list (uppercase). */
export function revokedOn(snapshot: GatewaySnapshot): string[] {
  return snapshot.state.revoked.map((r) => r.thumbprint.toUpperCase());
}
