// Activity: ends the live P2S sessions of users whose certificates were just revoked (the gateway does not
// document dropping them by itself), matched by the certificate CN the gateway reports as vpnUserName.
import { defineActivity } from "./define";
import { services } from "./services";
import { parseGatewayId } from "../clients/gateway";

export interface DisconnectInput {
  readonly gatewayId: string;
  /** Lower-cased UPNs. */
  readonly users: readonly string[];
  /** Deterministic id of the writer pass, so a retried activity audits once. */
  readonly passId: string;
}

export interface DisconnectResult {
  readonly disconnected: readonly { readonly vpnConnectionId: string; readonly user: string }[];
}

export const disconnectRevokedSessions = defineActivity<DisconnectInput, DisconnectResult>(
  "disconnectRevokedSessions",
  async ({ gatewayId, users, passId }) => {
    const { gateways, ledger } = services();
    const ref = parseGatewayId(gatewayId);
    const wanted = new Set(users.map((u) => u.toLowerCase()));
    if (wanted.size === 0) return { disconnected: [] };
    const sessions = await gateways.sessions(ref);
    const matched = sessions
      .filter((s) => wanted.has(s.vpnUserName.toLowerCase()))
      .map((s) => ({ vpnConnectionId: s.vpnConnectionId, user: s.vpnUserName.toLowerCase() }));
    await gateways.disconnect(
      ref,
      matched.map((m) => m.vpnConnectionId),
    );
    const at = new Date();
    for (const m of matched) {
      await ledger.appendAudit({
        id: `${passId}:disconnect:${m.vpnConnectionId}`,
        at,
        actor: "gatewayWriter",
        action: "session.disconnected",
        subject: m.user,
        reason: "certificate revoked",
        source: "gateway-sync",
        details: { gateway: ref.name, vpnConnectionId: m.vpnConnectionId },
      });
    }
    return { disconnected: matched };
  },
);
