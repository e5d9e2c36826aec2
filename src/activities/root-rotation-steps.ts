// The root rotation's own activities (the root moves themselves are root-rotation.ts): the root it rotates away from,
// its audit, what a gateway trusts, and the renewals it starts and follows. Each is idempotent; public data only.
import * as df from "durable-functions";
import { defineActivity } from "./define";
import { services } from "./services";
import { parseGatewayId } from "../clients/gateway";
import { loadDesiredGatewayState } from "../clients/desired-gateway-state";
import { getRootCa } from "../clients/key-vault-ca";
import { startLifecycleRequest } from "../clients/lifecycle-start";
import { instanceSnapshot } from "../clients/request-status";
import { RotationTable } from "../clients/rotation-table";
import type { RotationRenewal } from "../clients/rotation-table";
import { MAX_REVOKED_CERTIFICATES, isAppOwnedRevocation } from "../domain/gateway-config";
import type { InstanceSnapshot } from "../domain/requests";
import { stepOf } from "../domain/requests";
import { rotationAcceptedAudit } from "../domain/rotation-run";
import type { RootRef, RotationInput } from "../domain/rotation-run";
import { thumbprintOf } from "../domain/thumbprint";
import { upnKey, assertUpn } from "../domain/upn";

let table: { config: unknown; table: RotationTable } | undefined;
function rotations(): RotationTable {
  const { config } = services();
  if (table?.config !== config) table = { config, table: RotationTable.fromConfig(config) };
  return table.table;
}

/** The root that signs now (the registry's current, as Key Vault holds it), as the rotation records it once. */
async function signingRoot(): Promise<RootRef> {
  const { keyVault, roots } = services();
  const current = await roots.current();
  const root = await getRootCa(keyVault, { CA_ROOT_NAME: current.name });
  if (root === undefined) throw new Error(`the root ${current.name} does not exist: there is nothing to rotate`);
  return { name: root.name, thumbprint: root.thumbprint };
}

/**
 * Roots still `retiring` besides the rotation's own old root and its new one: left trusted by a rotation cancelled
 * after its promotion (its users may hold their only certificate of it). This rotation has reissued every active user
 * under its new root, so it retires them with its old root; otherwise nothing would ever take them off the gateways.
 */
export const rotationLeftoverRoots = defineActivity<{ readonly keep: string; readonly old: string }, RootRef[]>(
  "rotationLeftoverRoots",
  async ({ keep, old }) =>
    (await services().roots.list()).flatMap((r) =>
      r.state === "retiring" && r.name !== keep && r.name !== old && r.thumbprint !== undefined
        ? [{ name: r.name, thumbprint: r.thumbprint }]
        : [],
    ),
);

/** The root the rotation rotates away from: recorded at its first run, read back by every later one. */
export const rotationOldRoot = defineActivity<{ readonly rotationId: string }, RootRef>(
  "rotationOldRoot",
  ({ rotationId }) => rotations().oldRoot(rotationId, signingRoot),
);

export interface RotationAudit {
  readonly rotationId: string;
  readonly actor: string;
  /** e.g. "rotation.step", "rotation.completed", "rotation.cancelled". */
  readonly action: string;
  /** Names the row: the same event again (a retry, a restart) writes it once. */
  readonly event: string;
  readonly reason: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export const auditRotation = defineActivity<RotationAudit, "recorded">("auditRotation", async (audit) => {
  await services().ledger.appendAudit({
    id: `${audit.rotationId}:${audit.event}`,
    at: new Date(),
    actor: audit.actor,
    action: audit.action,
    subject: "root",
    reason: audit.reason,
    source: "rotation",
    requestId: audit.rotationId,
    ...(audit.details === undefined ? {} : { details: audit.details }),
  });
  return "recorded";
});

/** The start's acceptance audit, written again by the instance: the start path's own write may have failed. */
export const auditRotationAccepted = defineActivity<
  Pick<RotationInput, "rotationId" | "actor" | "reason" | "trigger" | "requestedAt">,
  "recorded"
>("auditRotationAccepted", async (input) => {
  await services().ledger.appendAudit(rotationAcceptedAudit(input));
  return "recorded";
});

export interface GatewayRootsCheck {
  readonly gatewayId: string;
  /** Thumbprints the gateway must trust. */
  readonly trusted: readonly string[];
  /** Thumbprints it must no longer have. */
  readonly absent: readonly string[];
}

/** Whether the gateway, read through ARM and not updating, trusts `trusted` and has none of `absent`. */
export const checkGatewayRoots = defineActivity<GatewayRootsCheck, { readonly ok: boolean; readonly detail: string }>(
  "checkGatewayRoots",
  async ({ gatewayId, trusted, absent }) => {
    const snapshot = await services().gateways.read(parseGatewayId(gatewayId));
    const onGateway = new Set(
      snapshot.state.roots.flatMap((r) => {
        try {
          return [thumbprintOf(Buffer.from(r.publicCertData, "base64"))];
        } catch {
          return [];
        }
      }),
    );
    const missing = trusted.filter((t) => !onGateway.has(t.toUpperCase()));
    const left = absent.filter((t) => onGateway.has(t.toUpperCase()));
    const settled = snapshot.provisioningState === undefined || snapshot.provisioningState === "Succeeded";
    const problems = [
      ...(settled ? [] : [`the gateway is ${snapshot.provisioningState}`]),
      ...missing.map((t) => `root ${t} is not on it yet`),
      ...left.map((t) => `root ${t} is still on it`),
    ];
    return { ok: problems.length === 0, detail: problems.join("; ") };
  },
);

export interface RevocationPressure {
  /** The fullest gateway (the first of the fullest). */
  readonly gatewayId: string;
  /** The revocations its list would hold: every desired one plus its entries the app does not own. */
  readonly count: number;
  readonly capacity: number;
  /** count as a percentage of capacity, to one decimal (for display; compare count with capacity). */
  readonly percent: number;
}

/**
 * How full the fullest gateway's revocation list would be if the writer applied every desired revocation now (the
 * writer's own loader), counting the hand-added entries it keeps. Read only.
 */
export const rotationRevocationPressure = defineActivity<
  { readonly gatewayIds: readonly string[] },
  RevocationPressure
>("rotationRevocationPressure", async ({ gatewayIds }) => {
  const { config, ledger, keyVault, roots, gateways } = services();
  const { desired } = await loadDesiredGatewayState(config, { ledger, keyVault, roots }, new Date());
  let fullest = { gatewayId: gatewayIds[0] ?? "", count: desired.revokedThumbprints.length };
  for (const gatewayId of gatewayIds) {
    const snapshot = await gateways.read(parseGatewayId(gatewayId));
    const foreign = snapshot.state.revoked.filter((e) => !isAppOwnedRevocation(e)).length;
    const count = desired.revokedThumbprints.length + foreign;
    if (count > fullest.count) fullest = { gatewayId, count };
  }
  const capacity = MAX_REVOKED_CERTIFICATES;
  return { ...fullest, capacity, percent: Math.round((fullest.count * 1000) / capacity) / 10 };
});

export interface RenewalBatch {
  readonly rotationId: string;
  readonly actor: string;
  readonly reason: string;
  readonly upns: readonly string[];
  /** ISO: the acceptance time of the batch's requests. */
  readonly now: string;
}

/** Starts (or joins) a renewal of each user, as a lifecycle request from source `rotation`, and records it. */
export const startRotationRenewals = defineActivity<RenewalBatch, { readonly instanceIds: readonly string[] }>(
  "startRotationRenewals",
  async (batch, context) => {
    const client = df.getClient(context);
    const instanceIds: string[] = [];
    for (const upn of batch.upns) {
      const started = await startLifecycleRequest(
        client,
        {
          source: "rotation",
          sourceKey: batch.rotationId,
          action: "renew",
          upn,
          actor: batch.actor,
          reason: batch.reason,
        },
        new Date(batch.now),
      );
      await rotations().record({
        rotationId: batch.rotationId,
        userKey: upnKey(assertUpn(upn)),
        requestId: started.requestId,
        instanceId: started.instanceId,
      });
      instanceIds.push(started.instanceId);
    }
    return { instanceIds };
  },
  [df.input.durableClient()],
);

/** Steps of a lifecycle request from which its certificate exists (it is being delivered, or the request ended). */
const ISSUED_STEPS = new Set([
  "preparing-delivery",
  "awaiting-collection",
  "revoking-old-certificates",
  "calling-back",
]);
const ENDED = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

function issuedOrEnded(snapshot: InstanceSnapshot | undefined): boolean {
  if (snapshot === undefined) return false;
  if (ENDED.has(snapshot.runtimeStatus)) return true;
  const step = stepOf(snapshot.customStatus);
  return step !== null && (ISSUED_STEPS.has(step) || step === "done");
}

/** How many of a batch's renewals have not yet made their certificate (the next batch waits for them). */
export const countUnissuedRenewals = defineActivity<{ readonly instanceIds: readonly string[] }, number>(
  "countUnissuedRenewals",
  async ({ instanceIds }, context) => {
    const client = df.getClient(context);
    let waiting = 0;
    for (const id of instanceIds) if (!issuedOrEnded(await instanceSnapshot(client, id))) waiting++;
    return waiting;
  },
  [df.input.durableClient()],
);

export interface CollectionCount {
  /** Renewals that made a certificate (or may still). */
  readonly reissued: number;
  readonly collected: number;
  /** Renewals still running (delivery open). */
  readonly open: number;
}

/** Settles the rotation's renewals that have ended and counts what was reissued and collected. */
export const countRotationCollection = defineActivity<{ readonly rotationId: string }, CollectionCount>(
  "countRotationCollection",
  async ({ rotationId }, context) => {
    const client = df.getClient(context);
    const table = rotations();
    for (const renewal of await table.list(rotationId, true)) {
      const settled = settledOf(renewal, await instanceSnapshot(client, renewal.instanceId));
      if (settled !== undefined) await table.settle(settled);
    }
    const all = await table.list(rotationId);
    const made = all.filter((r) => !r.refused);
    return {
      reissued: made.length,
      collected: made.filter((r) => r.settled && r.collected).length,
      open: made.filter((r) => !r.settled).length,
    };
  },
  [df.input.durableClient()],
);

function settledOf(renewal: RotationRenewal, snapshot: InstanceSnapshot | undefined): RotationRenewal | undefined {
  if (snapshot === undefined) return { ...renewal, settled: true, collected: false, refused: true };
  if (snapshot.runtimeStatus === "Completed") {
    const out = (snapshot.output ?? {}) as { collected?: unknown; refused?: unknown; status?: unknown };
    const refused = out.refused === true || out.status !== "active";
    return { ...renewal, settled: true, collected: !refused && out.collected === true, refused };
  }
  if (ENDED.has(snapshot.runtimeStatus)) return { ...renewal, settled: true, collected: false, refused: true };
  return undefined;
}
