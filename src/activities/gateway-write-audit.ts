// The audit of gateway writes, appended by the execution that sent each one (applyGatewayState) as soon as the
// gateway has accepted it: at-least-once delivery means the orchestrator may never see that execution's result, and
// may go to sleep before it ends, so no later pass can be relied on to audit it. Keyed by the write (its pass and the
// ETag it was made from): a repeat appends nothing. A followed write whose operation then fails gets a second entry.
import { parseGatewayId } from "../clients/gateway";
import type { Ledger } from "../clients/ledger";
import { describeExpiredRoots } from "../domain/expired-roots";
import type { JournaledWrite } from "../domain/gateway-write-journal";

function subjectOf(gatewayId: string): string {
  return `gateway:${parseGatewayId(gatewayId).name.toLowerCase()}`;
}

/** Audits a write the gateway accepted: what it carried, the expired roots it left out, the entries it put back. */
export async function auditAcceptedWrite(
  ledger: Ledger,
  gatewayId: string,
  write: JournaledWrite,
  revokedCount: number,
): Promise<void> {
  const entry = {
    at: write.at,
    actor: "gatewayWriter",
    subject: subjectOf(gatewayId),
    source: "gateway-sync",
  } as const;
  await ledger.appendAudit({
    ...entry,
    id: `${write.key}:written`,
    action: "gateway.written",
    reason: `the gateway accepted a write: added ${write.addedRevocations.length} revocations, pruned ${write.prunedRevocations.length}`,
    details: {
      added: write.addedRevocations.length,
      pruned: write.prunedRevocations.length,
      revokedCount,
      firstAdded: write.addedRevocations[0] ?? "",
      rootsAdded: write.rootsAdded.join(","),
      rootsRetired: (write.rootsRetired ?? []).join(","),
      leftOff: write.leftOff?.length ?? 0,
      pass: write.passId,
    },
  });
  const leftOff = write.leftOff ?? [];
  if (leftOff.length > 0) {
    await ledger.appendAudit({
      ...entry,
      id: `${write.key}:left-off`,
      action: "gateway.revocationsLeftOff",
      reason: `the gateway holds at most 300 revocations: ${leftOff.length} that expire soonest were left off this write`,
      details: {
        count: leftOff.length,
        removedFromGateway: leftOff.filter((l) => l.wasOnGateway).length,
        soonest: leftOff.map((l) => l.notAfter ?? "").reduce((a, b) => (a === "" || (b !== "" && b < a) ? b : a), ""),
      },
    });
  }
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

/** Audits that the operation of an accepted write ended Failed (the gateway does not enforce it). */
export async function auditFailedWrite(ledger: Ledger, gatewayId: string, key: string, detail: string): Promise<void> {
  await ledger.appendAudit({
    id: `${key}:failed`,
    at: new Date(),
    actor: "gatewayWriter",
    action: "gateway.writeFailed",
    subject: subjectOf(gatewayId),
    reason: `the operation of an accepted write ended Failed: ${detail}`,
    source: "gateway-sync",
    details: { write: key },
  });
}
