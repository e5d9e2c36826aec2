// Activity: records the outcome of a writer pass for GET /api/v1/gateways, and audits every write journaled since the
// last recorded pass: the writer's own and any a re-delivered execution sent without the writer seeing its result.
import { defineActivity } from "./define";
import { services } from "./services";
import { parseGatewayId } from "../clients/gateway";
import type { Ledger } from "../clients/ledger";
import { describeExpiredRoots } from "../domain/expired-roots";
import type { ExpiredRoot } from "../domain/expired-roots";
import type { JournaledWrite } from "../domain/gateway-write-journal";

export interface RecordSyncInput {
  readonly gatewayId: string;
  readonly passId: string;
  readonly outcome: string;
  readonly detail: string;
  readonly revokedCount: number;
  readonly rootCount: number;
  /** The journal key of the write this pass followed and verified, if any. */
  readonly writeKey?: string;
}

/** What the audited writes did that the writer warns about (whoever's execution sent them). */
export interface AuditedWrites {
  readonly written: number;
  readonly rootsRemoved: readonly ExpiredRoot[];
  readonly restored: readonly string[];
}

export const recordGatewaySync = defineActivity<RecordSyncInput, AuditedWrites>("recordGatewaySync", async (input) => {
  const { ledger } = services();
  const at = new Date();
  await ledger.recordGatewaySync({
    gatewayId: input.gatewayId,
    lastSyncAt: at,
    outcome: input.outcome,
    detail: input.detail,
    revokedCount: input.revokedCount,
    rootCount: input.rootCount,
  });
  const writes = await ledger.listGatewayWrites(input.gatewayId);
  for (const write of writes) await auditWrite(ledger, input, write);
  // Audited (each entry once, by the write's key): a repeat of this activity finds nothing left, or audits again
  // under the same ids, which is a no-op.
  await ledger.clearGatewayWrites(
    input.gatewayId,
    writes.map((w) => w.key),
  );
  const done = writes.filter((w) => w.failed === undefined);
  return {
    written: done.length,
    rootsRemoved: done.flatMap((w) => w.rootsRemoved),
    restored: done.flatMap((w) => w.restored),
  };
});

async function auditWrite(ledger: Ledger, input: RecordSyncInput, write: JournaledWrite): Promise<void> {
  const subject = `gateway:${parseGatewayId(input.gatewayId).name.toLowerCase()}`;
  const entry = { at: write.at, actor: "gatewayWriter", subject, source: "gateway-sync" } as const;
  const summary = `added ${write.addedRevocations.length} revocations, pruned ${write.prunedRevocations.length}`;
  const own = write.key === input.writeKey;
  const details = {
    added: write.addedRevocations.length,
    pruned: write.prunedRevocations.length,
    firstAdded: write.addedRevocations[0] ?? "",
    rootsAdded: write.rootsAdded.join(","),
    pass: write.passId,
    // Whether the writer followed this write itself, or a re-delivered execution sent it and a later pass found it.
    followed: own,
    ...(own ? { revokedCount: input.revokedCount } : {}),
  };
  if (write.failed !== undefined) {
    await ledger.appendAudit({
      ...entry,
      id: `${write.key}:failed`,
      action: "gateway.writeFailed",
      reason: `${summary}; the gateway's operation ended Failed: ${write.failed}`,
      details,
    });
    return;
  }
  await ledger.appendAudit({
    ...entry,
    id: `${write.key}:written`,
    action: "gateway.written",
    reason: own
      ? input.detail
      : `${summary}; sent by an execution whose result the writer did not see, recorded by pass ${input.passId}`,
    details,
  });
  if (write.rootsRemoved.length > 0) {
    await ledger.appendAudit({
      ...entry,
      id: `${write.key}:expired-roots-removed`,
      action: "gateway.expiredRootsRemoved",
      reason: `removed ${describeExpiredRoots(write.rootsRemoved)}: Azure refuses a gateway write that carries an expired root`,
      details: { count: write.rootsRemoved.length, roots: write.rootsRemoved.map((r) => r.name).join(",") },
    });
  }
  if (write.restored.length > 0) {
    await ledger.appendAudit({
      ...entry,
      id: `${write.key}:restored`,
      action: "gateway.entries.restored",
      reason: "a concurrent write dropped entries that were on the gateway before the writer's write; put back",
      details: { count: write.restored.length, entries: write.restored.join("; ") },
    });
  }
}
