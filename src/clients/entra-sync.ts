// Acting on the directory: one user evaluated (read from Graph, then onboarded, offboarded or ignored with the reason
// audited), and the delta queries that find which users to evaluate (the VPN group's and its nested groups' members,
// users' accountEnabled and deletions), resuming from the stored deltaLink and starting over on 410. Everything here
// is safe to repeat: decisions are keyed by the user's generation, so a replay starts nothing twice.
import type { Config } from "../config";
import { decideEntra, notEntitledReason } from "../domain/entra-decision";
import type { EntraDecision } from "../domain/entra-decision";
import { isLive, LIVE_STATUSES } from "../domain/ledger";
import { parseUpn, upnKey } from "../domain/upn";
import { upnDomainRefusal } from "../domain/upn-domains";
import { EntraStateConflict } from "./entra-state";
import type { EntraState } from "./entra-state";
import type { GraphClient } from "./graph";
import { deltaRound } from "./graph-events";
import type { Ledger } from "./ledger";

export interface EntraStart {
  readonly action: "onboard" | "offboard";
  readonly upn: string;
  /** Entra change key: the user's state key and the decision's generation. */
  readonly sourceKey: string;
  readonly reason: string;
}

export interface EntraSyncDeps {
  readonly config: Pick<Config, "ENTRA_VPN_GROUP_ID" | "ALLOWED_UPN_DOMAINS">;
  readonly graph: GraphClient;
  readonly ledger: Ledger;
  readonly state: EntraState;
  /** Starts the lifecycle request (idempotent by sourceKey); answers its requestId. */
  readonly start: (start: EntraStart) => Promise<{ readonly requestId: string; readonly started: boolean }>;
  /** Whether the Entra offboarding started under `sourceKey` for `upn` is still pending or running. */
  readonly offboardingRunning: (upn: string, sourceKey: string) => Promise<boolean>;
  /** Audit label: "entra:notification", "entra:event", "entra:reconcile". */
  readonly actor: string;
  /** What caused this run (a notification's instance, a reconcile run), for audit ids. */
  readonly causeId: string;
}

export interface UserOutcome {
  readonly subject: string;
  readonly decision: EntraDecision["kind"];
  readonly reason: string;
  readonly requestId?: string;
}

const MAX_CONFLICTS = 3;

/** Evaluates one user by object id (or UPN, from the ledger side) and acts on the decision. */
export async function evaluateUser(
  deps: EntraSyncDeps,
  key: { objectId?: string; upn?: string },
): Promise<UserOutcome> {
  const groupId = deps.config.ENTRA_VPN_GROUP_ID;
  if (groupId === undefined)
    return { subject: key.objectId ?? key.upn ?? "?", decision: "ignore", reason: "no VPN group" };
  for (let attempt = 1; ; attempt += 1) {
    const user = await deps.graph.getUser(key.objectId ?? key.upn ?? "");
    const inGroup =
      user?.accountEnabled === true && (await deps.graph.checkMemberGroups(user.id, [groupId])).length > 0;
    const objectId = user?.id.toLowerCase() ?? key.objectId?.toLowerCase();
    // A user Graph no longer has, known only by the UPN the ledger holds, is remembered under that UPN.
    const rememberedKey = objectId ?? (key.upn === undefined ? undefined : `upn-${key.upn.toLowerCase()}`);
    const remembered = rememberedKey === undefined ? undefined : await deps.state.getUser(rememberedKey);
    const upn = user?.userPrincipalName ?? remembered?.upn ?? key.upn;
    const parsed = parseUpn(upn);
    if (!parsed.ok) {
      const subject = `entra-user-${objectId ?? "unknown"}`;
      await audit(deps, subject, "entra.ignored", `ignored: no usable UPN (${parsed.reason})`, `${subject}:no-upn`);
      return { subject, decision: "ignore", reason: "no usable UPN" };
    }
    const subject = upnKey(parsed.upn);
    const holds = (await deps.ledger.listUserCertificates(subject)).some(isLive);
    const view =
      user === undefined
        ? { inGroup: false }
        : { user: { upn: parsed.upn, accountEnabled: user.accountEnabled }, inGroup };
    const stateKey = objectId ?? `upn-${subject}`;
    // Asked only when the answer matters: the user is out, was offboarded by the app, and still holds a certificate.
    const running =
      remembered?.entitled === false && holds && notEntitledReason(view) !== undefined
        ? await deps.offboardingRunning(parsed.upn, `${stateKey}:${String(remembered.generation)}`)
        : false;
    let decision = decideEntra(view, remembered, holds, running);
    const domainRefusal = upnDomainRefusal(parsed.upn, deps.config.ALLOWED_UPN_DOMAINS);
    if (decision.kind === "onboard" && domainRefusal !== undefined) {
      decision = { kind: "ignore", reason: `ignored: ${domainRefusal}` };
    }
    if (decision.kind === "ignore") {
      // "already entitled" is the common replay: not worth an audit row each time.
      if (decision.reason.startsWith("ignored")) {
        await audit(deps, subject, "entra.ignored", decision.reason, `${stateKey}:ignored:${deps.causeId}`);
      }
      return { subject, decision: "ignore", reason: decision.reason };
    }
    let requestId: string | undefined;
    if (decision.kind !== "remember") {
      const started = await deps.start({
        action: decision.kind,
        upn: parsed.upn,
        sourceKey: `${stateKey}:${decision.generation}`,
        reason: decision.reason,
      });
      requestId = started.requestId;
      await audit(
        deps,
        subject,
        `entra.${decision.kind}`,
        decision.reason,
        `${stateKey}:${decision.generation}:${decision.kind}`,
        requestId,
      );
    }
    try {
      await deps.state.putUser(
        {
          objectId: stateKey,
          upn: parsed.upn,
          entitled: decision.kind !== "offboard",
          generation: decision.generation,
        },
        remembered,
      );
    } catch (error) {
      // Another run decided meanwhile: decide again on what it wrote (the start above is keyed, so it is not repeated).
      if (error instanceof EntraStateConflict && attempt < MAX_CONFLICTS) continue;
      throw error;
    }
    return {
      subject,
      decision: decision.kind,
      reason: decision.reason,
      ...(requestId === undefined ? {} : { requestId }),
    };
  }
}

async function audit(
  deps: EntraSyncDeps,
  subject: string,
  action: string,
  reason: string,
  id: string,
  requestId?: string,
): Promise<void> {
  await deps.ledger.appendAudit({
    id: `entra:${id}`,
    at: new Date(),
    actor: deps.actor,
    action,
    subject,
    reason,
    source: "entra",
    ...(requestId === undefined ? {} : { requestId }),
  });
}

/** Audits a change about a group that has nothing to do with VPN access. */
export async function auditIgnoredGroup(deps: EntraSyncDeps, groupId: string, reason: string): Promise<void> {
  await audit(
    deps,
    `entra-group-${groupId.toLowerCase()}`,
    "entra.ignored",
    `ignored: ${reason}`,
    `group-${groupId}:${deps.causeId}`,
  );
}

interface MemberDelta {
  readonly id: string;
  readonly type: "user" | "group";
  readonly removed: boolean;
}

function membersOf(items: readonly Record<string, unknown>[]): MemberDelta[] {
  const found: MemberDelta[] = [];
  for (const item of items) {
    const members = item["members@delta"];
    if (!Array.isArray(members)) continue;
    for (const m of members as Record<string, unknown>[]) {
      if (typeof m.id !== "string") continue;
      const type =
        typeof m["@odata.type"] === "string" && m["@odata.type"].toLowerCase().endsWith(".group") ? "group" : "user";
      found.push({ id: m.id.toLowerCase(), type, removed: m["@removed"] !== undefined });
    }
  }
  return found;
}

/** Users whose membership of `groupId` changed since the stored deltaLink (all members on a full round). */
async function groupMemberChanges(
  deps: EntraSyncDeps,
  groupId: string,
): Promise<{ members: MemberDelta[]; resynced: boolean; deltaLink: string }> {
  const name = `group-${groupId.toLowerCase()}`;
  const stored = await deps.state.getDeltaLink(name);
  const first = `/groups/delta?$filter=id eq '${groupId}'&$select=members`;
  let round = stored === undefined ? await deltaRound(deps.graph, first) : await deltaRound(deps.graph, stored);
  let full = stored === undefined;
  if (round.kind === "expired") {
    round = await deltaRound(deps.graph, first);
    full = true;
  }
  if (round.kind === "expired") throw new Error(`a fresh delta query of group ${groupId} answered ${round.status}`);
  return { members: membersOf(round.items), resynced: full && stored !== undefined, deltaLink: round.deltaLink };
}

/**
 * Brings the VPN group's members (and, through nested groups, theirs) up to date: every user whose membership
 * changed is evaluated; the deltaLink is stored only after all of them were acted on, so a failure replays them.
 */
export async function syncVpnGroup(
  deps: EntraSyncDeps,
  groupId: string,
  seen = new Set<string>(),
): Promise<UserOutcome[]> {
  if (seen.has(groupId)) return [];
  seen.add(groupId);
  const outcomes: UserOutcome[] = [];
  const { members, resynced, deltaLink } = await groupMemberChanges(deps, groupId);
  for (const member of members) {
    if (member.type === "group") {
      await deps.state.setNested(member.id, !member.removed);
      // A nested group added or removed: its own members are evaluated (a full round of it the first time).
      if (member.removed) await deps.state.putDeltaLink(`group-${member.id}`, undefined);
      outcomes.push(...(await syncVpnGroup(deps, member.id, seen)));
      continue;
    }
    outcomes.push(await evaluateUser(deps, { objectId: member.id }));
  }
  // A full round after an expired token lists today's members only: those removed meanwhile are found by checking
  // everyone who holds access.
  if (resynced) outcomes.push(...(await reconcileHolders(deps)));
  await deps.state.putDeltaLink(`group-${groupId.toLowerCase()}`, deltaLink);
  return outcomes;
}

/** The ledger side: everyone the app entitled or the ledger shows holding a live certificate, checked against Graph. */
export async function reconcileHolders(deps: EntraSyncDeps): Promise<UserOutcome[]> {
  const outcomes: UserOutcome[] = [];
  const done = new Set<string>();
  for (const entitled of await deps.state.listEntitled()) {
    const outcome = await evaluateUser(
      deps,
      entitled.objectId.startsWith("upn-") ? { upn: entitled.upn } : { objectId: entitled.objectId },
    );
    done.add(outcome.subject);
    outcomes.push(outcome);
  }
  const holders = new Set<string>();
  for (const status of LIVE_STATUSES) for (const r of await deps.ledger.listByStatus(status)) holders.add(r.upn);
  for (const upn of holders) {
    if (done.has(upn.toLowerCase())) continue;
    outcomes.push(await evaluateUser(deps, { upn }));
  }
  return outcomes;
}

/** Users whose accountEnabled changed or who were deleted since the stored deltaLink. A new round starts at "now". */
export async function syncUsers(deps: EntraSyncDeps): Promise<UserOutcome[]> {
  const stored = await deps.state.getDeltaLink("users");
  const latest = "/users/delta?$select=accountEnabled,userPrincipalName&$deltaToken=latest";
  let round = await deltaRound(deps.graph, stored ?? latest);
  if (round.kind === "expired") round = await deltaRound(deps.graph, latest);
  if (round.kind === "expired") throw new Error(`a fresh users delta query answered ${round.status}`);
  const outcomes: UserOutcome[] = [];
  const known = new Set((await deps.state.listEntitled()).map((s) => s.objectId));
  for (const item of round.items) {
    if (typeof item.id !== "string") continue;
    const id = item.id.toLowerCase();
    // Only users the app has entitled, or enabled users now (they may be VPN group members re-enabled): the rest of
    // the tenant's changes are not VPN access matters.
    if (!known.has(id) && item.accountEnabled !== true) continue;
    outcomes.push(await evaluateUser(deps, { objectId: id }));
  }
  await deps.state.putDeltaLink("users", round.deltaLink);
  return outcomes;
}
