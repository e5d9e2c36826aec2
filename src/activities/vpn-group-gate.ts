// The VPN group gate's activities: the Graph check (read only, so replays and retries are harmless) and the audit of
// a refusal (one entry per request, by a deterministic id). Graph throttling past the client's bound is thrown and
// retried by the orchestration; the gate's refusals are returned, as no retry can change them.
import { defineActivity } from "./define";
import { services } from "./services";
import type { IssuanceRequest } from "../domain/issuance";
import { assertUpn, upnKey } from "../domain/upn";
import { decideVpnGate } from "../domain/vpn-group-gate";
import type { VpnGateDecision, VpnGateRefusal } from "../domain/vpn-group-gate";

export const checkVpnGroup = defineActivity<{ readonly upn: string }, VpnGateDecision>(
  "checkVpnGroup",
  async ({ upn }) => {
    const { config, graph } = services();
    const groupId = config.ENTRA_VPN_GROUP_ID;
    if (groupId === undefined) return { allowed: true, checked: false };
    const name = assertUpn(upn);
    const user = await graph.getUser(name);
    const memberOf = user?.accountEnabled === true ? await graph.checkMemberGroups(user.id, [groupId]) : undefined;
    return decideVpnGate(name, groupId, { user, ...(memberOf === undefined ? {} : { memberOf }) });
  },
);

export const recordIssuanceRefused = defineActivity<
  { readonly request: IssuanceRequest; readonly refusal: VpnGateRefusal; readonly message: string },
  null
>("recordIssuanceRefused", async ({ request, refusal, message }) => {
  const { config, ledger } = services();
  await ledger.appendAudit({
    id: `${request.requestId}:refused`,
    at: new Date(),
    actor: request.actor,
    action: "certificate.refused",
    subject: upnKey(assertUpn(request.upn)),
    reason: message,
    source: request.source,
    requestId: request.requestId,
    details: {
      refusal,
      sourceId: request.sourceId,
      ...(config.ENTRA_VPN_GROUP_ID === undefined ? {} : { groupId: config.ENTRA_VPN_GROUP_ID }),
    },
  });
  return null;
});
