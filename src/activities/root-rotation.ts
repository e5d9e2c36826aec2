// Activities of a root rotation on the managed roots: create the next root, promote it, withdraw or restore on a
// cancel, retire the old one, and page the users to reissue. Each is idempotent (a re-delivery finds its work done
// and answers the same), audited once under a deterministic id, and carries public data only.
import { defineActivity } from "./define";
import { services } from "./services";
import type { Services } from "./services";
import { ensureRootCaDetailed } from "../clients/key-vault-ca";
import { isComplete, locateRoot } from "../clients/ca-root-versions";
import { disableRootVersions, rootCaConfig, rootLock } from "../clients/managed-roots";
import { supersedeRootCertificates, usersToReissue } from "../clients/root-certificates";
import type { ReissuePage } from "../clients/root-certificates";
import { RootRegistryConflict } from "../clients/root-registry";
import type { RegisteredRoot } from "../clients/root-registry";

export interface RotationActor {
  readonly rotationId: string;
  /** Audit label of who started the rotation. */
  readonly actor: string;
}

export interface CreatedRoot {
  readonly name: string;
  readonly thumbprint: string;
  readonly notAfter: string;
}

export interface PromotedRoot {
  readonly name: string;
  readonly thumbprint: string;
  /** The root that was current before (now retiring). */
  readonly previous?: string;
}

async function audit(
  s: Pick<Services, "ledger">,
  input: RotationActor,
  step: string,
  name: string,
  details: Readonly<Record<string, string | number | boolean>>,
): Promise<void> {
  await s.ledger.appendAudit({
    id: `rotation:${input.rotationId}:root-${step}:${name}`,
    at: new Date(),
    actor: input.actor,
    action: `root.${step}`,
    subject: "root",
    reason: `root rotation ${input.rotationId}`,
    source: "rotation",
    requestId: input.rotationId,
    details: { name, ...details },
  });
}

/** The root of `name`, which rotation `rotationId` made (else a conflict: a rotation never touches another's root). */
async function rotationRoot(s: Pick<Services, "roots">, name: string, rotationId: string): Promise<RegisteredRoot> {
  const row = await s.roots.get(name);
  if (row === undefined) throw new RootRegistryConflict(`root ${name} is not in the registry`);
  if (row.rotationId !== rotationId) {
    throw new RootRegistryConflict(`root ${name} was not made by rotation ${rotationId}`);
  }
  return row;
}

/**
 * Reserves the next root (pending) and bootstraps it as the first root was: a new non-exportable key in Key Vault,
 * self-signed through keys/sign, resumable, under the blob lease of its own name. A repeat answers the same root.
 */
export async function createNextRootNow(input: RotationActor): Promise<CreatedRoot> {
  const s = services();
  const now = new Date();
  const reserved = await s.roots.reserve(input.rotationId, now);
  if (reserved.state === "withdrawn" || reserved.state === "retired") {
    throw new RootRegistryConflict(`root ${reserved.name} of rotation ${input.rotationId} is ${reserved.state}`);
  }
  const { root } = await ensureRootCaDetailed(s.keyVault, rootCaConfig(s.config, reserved), now, {
    lock: rootLock(s.config, reserved.name),
  });
  const recorded = await s.roots.recordCertificate(reserved.name, root, now);
  if (recorded.state === "withdrawn") {
    // Cancelled while it was being made: it must not stay usable.
    await disableRootVersions(s.keyVault, reserved.name);
    throw new RootRegistryConflict(`root ${reserved.name} was withdrawn while it was being created`);
  }
  await audit(s, input, "created", root.name, { thumbprint: root.thumbprint, notAfter: root.notAfter });
  return { name: root.name, thumbprint: root.thumbprint, notAfter: root.notAfter };
}

/** The rotation's root becomes current (it signs from now on); the current one becomes retiring, in one write. */
export async function promoteRootNow(input: RotationActor & { readonly name: string }): Promise<PromotedRoot> {
  const s = services();
  const row = await rotationRoot(s, input.name, input.rotationId);
  if (row.state !== "current") {
    if (row.state !== "pending") throw new RootRegistryConflict(`root ${row.name} is ${row.state}, not pending`);
    // Only a root Key Vault holds complete, and the one the registry recorded, may sign.
    const located = await locateRoot(s.keyVault, row.name);
    if (!isComplete(located) || row.thumbprint === undefined || located.root.thumbprint !== row.thumbprint) {
      throw new RootRegistryConflict(`root ${row.name} is not bootstrapped in Key Vault: create it first`);
    }
    const previous = (await s.roots.list()).filter((r) => r.state === "current" && r.name !== row.name);
    await s.roots.moveTogether(
      [
        { name: row.name, from: "pending", to: "current", set: { ...optionalPrevious(previous.at(-1)?.name) } },
        ...previous.map((r) => ({ name: r.name, from: "current" as const, to: "retiring" as const })),
      ],
      new Date(),
    );
  }
  const promoted = await rotationRoot(s, input.name, input.rotationId);
  if (promoted.state !== "current" || promoted.thumbprint === undefined) {
    throw new RootRegistryConflict(`root ${promoted.name} is ${promoted.state} after its promotion`);
  }
  await audit(s, input, "promoted", promoted.name, {
    thumbprint: promoted.thumbprint,
    ...(promoted.previous === undefined ? {} : { previous: promoted.previous }),
  });
  return {
    name: promoted.name,
    thumbprint: promoted.thumbprint,
    ...(promoted.previous === undefined ? {} : { previous: promoted.previous }),
  };
}

function optionalPrevious(name: string | undefined): { previous?: string } {
  return name === undefined ? {} : { previous: name };
}

/**
 * Cancel before the promotion: the rotation's pending root is withdrawn (off the gateways for good) and disabled in
 * Key Vault. Under the root's bootstrap lock, so a bootstrap still running finishes first and is then disabled.
 */
export async function withdrawRootNow(input: RotationActor & { readonly name: string }): Promise<{ name: string }> {
  const s = services();
  await rotationRoot(s, input.name, input.rotationId);
  const disabled = await rootLock(s.config, input.name).run(async (guard) => {
    await s.roots.move(input.name, "pending", "withdrawn", new Date());
    guard.assertHeld();
    return disableRootVersions(s.keyVault, input.name);
  });
  await audit(s, input, "withdrawn", input.name, { disabledNow: disabled > 0 });
  return { name: input.name };
}

/** Cancel after the promotion: the old root signs again (current), the rotation's root becomes retiring. */
export async function restoreRootNow(
  input: RotationActor & { readonly oldName: string; readonly newName: string },
): Promise<{ name: string }> {
  const s = services();
  await rotationRoot(s, input.newName, input.rotationId);
  await s.roots.moveTogether(
    [
      { name: input.oldName, from: "retiring", to: "current" },
      { name: input.newName, from: "current", to: "retiring" },
    ],
    new Date(),
  );
  await audit(s, input, "restored", input.oldName, { replaced: input.newName });
  return { name: input.oldName };
}

/**
 * The end of a rotation for the old root: retired (the gateways' writers remove it), every version disabled in Key
 * Vault (its key can no longer sign), its live certificates superseded in the ledger. Answers how many certificates
 * its retirement superseded (the same on a repeat).
 */
export async function retireRootNow(input: RotationActor & { readonly name: string }): Promise<{ superseded: number }> {
  const s = services();
  const row = await s.roots.get(input.name);
  if (row === undefined) throw new RootRegistryConflict(`root ${input.name} is not in the registry`);
  if (row.state !== "retiring" && row.state !== "retired") {
    throw new RootRegistryConflict(`root ${input.name} is ${row.state}: only a retiring root is retired`);
  }
  // The decision first: from here on the root is off every gateway and a repeat finishes what is left.
  await s.roots.move(input.name, "retiring", "retired", new Date());
  await disableRootVersions(s.keyVault, input.name);
  let superseded = row.superseded ?? 0;
  if (row.thumbprint !== undefined) {
    const identity = { thumbprint: row.thumbprint, first: row.rotationId === undefined };
    const moved = await supersedeRootCertificates(s.ledger, identity, new Date());
    if (moved > 0 || row.superseded === undefined) {
      superseded = (await s.roots.get(input.name))?.superseded ?? 0;
      superseded += moved;
      await s.roots.moveTogether(
        [{ name: input.name, from: "retired", to: "retired", set: { superseded } }],
        new Date(),
      );
    }
  }
  await audit(s, input, "retired", input.name, { superseded, ...optionalThumbprint(row.thumbprint) });
  return { superseded };
}

function optionalThumbprint(thumbprint: string | undefined): { thumbprint?: string } {
  return thumbprint === undefined ? {} : { thumbprint };
}

export const createNextRoot = defineActivity<RotationActor, CreatedRoot>("createNextRoot", createNextRootNow);

export const promoteRoot = defineActivity<RotationActor & { readonly name: string }, PromotedRoot>(
  "promoteRoot",
  promoteRootNow,
);

export const withdrawRoot = defineActivity<RotationActor & { readonly name: string }, { name: string }>(
  "withdrawRoot",
  withdrawRootNow,
);

export const restoreRoot = defineActivity<
  RotationActor & { readonly oldName: string; readonly newName: string },
  { name: string }
>("restoreRoot", restoreRootNow);

export const retireRoot = defineActivity<RotationActor & { readonly name: string }, { superseded: number }>(
  "retireRoot",
  retireRootNow,
);

export interface ReissueQuery {
  /** The new root: users holding an active certificate of it are done. */
  readonly rootThumbprint: string;
  /** The `next` of the previous page. */
  readonly after?: string;
  readonly limit: number;
}

export const listUsersToReissue = defineActivity<ReissueQuery, ReissuePage>(
  "listUsersToReissue",
  ({ rootThumbprint, after, limit }) => usersToReissue(services().ledger, rootThumbprint, limit, after),
);
