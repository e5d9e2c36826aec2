// The Entra events activity: one unit of directory work (a user or group change, a reconcile pass, a subscription
// reauthorization or maintenance), done by reading Graph and starting lifecycle requests through the durable client.
// Everything it starts is keyed, so the orchestration's retries of a failed run start nothing twice.
import * as df from "durable-functions";
import { defineActivity } from "./define";
import { services } from "./services";
import { EntraState } from "../clients/entra-state";
import { auditIgnoredGroup, evaluateUser, reconcileHolders, syncUsers, syncVpnGroup } from "../clients/entra-sync";
import type { EntraSyncDeps, UserOutcome } from "../clients/entra-sync";
import { maintainSubscriptions } from "../clients/entra-subscriptions";
import { reauthorizeSubscription } from "../clients/graph-events";
import { hasNotEnded, instanceStatus } from "../clients/durable-start";
import { startLifecycleRequest } from "../clients/lifecycle-start";
import { lifecycleInstanceId } from "../domain/lifecycle";

export type EntraWork =
  | { readonly kind: "user" | "group"; readonly objectId: string }
  | { readonly kind: "reconcile" }
  | { readonly kind: "reauthorize"; readonly subscriptionId: string }
  | { readonly kind: "subscriptions" };

export interface EntraWorkInput {
  readonly work: EntraWork;
  readonly actor: string;
  /** The orchestration instance: keys the audit of what this run ignored. */
  readonly causeId: string;
}

export interface EntraWorkResult {
  readonly onboard: number;
  readonly offboard: number;
  readonly remember: number;
  readonly ignore: number;
  readonly detail?: string;
}

let state: { key: unknown; value: EntraState } | undefined;

function entraState(): EntraState {
  const { config } = services();
  if (state?.key !== config) state = { key: config, value: EntraState.fromConfig(config) };
  return state.value;
}

function summary(outcomes: readonly UserOutcome[], detail?: string): EntraWorkResult {
  const count = (kind: UserOutcome["decision"]): number => outcomes.filter((o) => o.decision === kind).length;
  return {
    onboard: count("onboard"),
    offboard: count("offboard"),
    remember: count("remember"),
    ignore: count("ignore"),
    ...(detail === undefined ? {} : { detail }),
  };
}

export const applyEntraWork = defineActivity<EntraWorkInput, EntraWorkResult>(
  "applyEntraWork",
  async ({ work, actor, causeId }, context) => {
    const { config, graph, ledger } = services();
    const client = df.getClient(context);
    const groupId = config.ENTRA_VPN_GROUP_ID;
    if (work.kind === "subscriptions") {
      const actions = await maintainSubscriptions(graph, config);
      return summary([], actions.map((a) => `${a.resource} ${a.action} until ${a.expirationDateTime}`).join("; "));
    }
    if (work.kind === "reauthorize") {
      // Reauthorizing needs the app's current permission; a subscription Graph dropped is made again.
      const kept = await reauthorizeSubscription(graph, work.subscriptionId);
      const actions = await maintainSubscriptions(graph, config);
      return summary(
        [],
        `${kept ? "reauthorized" : "gone"}; ${actions.map((a) => `${a.resource} ${a.action}`).join("; ")}`,
      );
    }
    if (!config.ENTRA_EVENTS_ENABLED || groupId === undefined) {
      return summary([], "Entra events are off (ENTRA_EVENTS_ENABLED, ENTRA_VPN_GROUP_ID)");
    }
    const deps: EntraSyncDeps = {
      config,
      graph,
      ledger,
      state: entraState(),
      actor,
      causeId,
      start: (start) =>
        startLifecycleRequest(
          client,
          {
            source: "entra",
            sourceKey: start.sourceKey,
            action: start.action,
            upn: start.upn,
            actor,
            reason: start.reason,
          },
          new Date(),
        ),
      offboardingRunning: async (upn, sourceKey) =>
        hasNotEnded(
          await instanceStatus(client, lifecycleInstanceId({ source: "entra", sourceKey, action: "offboard", upn })),
        ),
    };
    if (work.kind === "user") return summary([await evaluateUser(deps, { objectId: work.objectId })]);
    if (work.kind === "group") {
      const id = work.objectId.toLowerCase();
      if (id === groupId.toLowerCase()) return summary(await syncVpnGroup(deps, groupId));
      if ((await deps.state.nestedGroups()).includes(id)) return summary(await syncVpnGroup(deps, id));
      await auditIgnoredGroup(deps, id, "not the VPN group nor a group nested in it");
      return summary([], `group ${id} ignored`);
    }
    const seen = new Set<string>();
    const outcomes = [...(await syncVpnGroup(deps, groupId, seen))];
    for (const nested of await deps.state.nestedGroups()) outcomes.push(...(await syncVpnGroup(deps, nested, seen)));
    outcomes.push(...(await syncUsers(deps)));
    outcomes.push(...(await reconcileHolders(deps)));
    return summary(outcomes);
  },
  [df.input.durableClient()],
);
