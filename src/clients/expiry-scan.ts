// Reads everything expiryCheck judges: every root on every configured gateway (hand-added ones too, decoded from
// publicCertData), every trusted managed root in Key Vault, the ledger's live client certificates, and each gateway's revocation
// list against its capacity. Read-only; the decisions are src/domain/expiry.ts and revocation-capacity.ts.
import type { Config } from "../config";
import { parseCertificate } from "../domain/certificate-info";
import { MAX_REVOKED_CERTIFICATES } from "../domain/gateway-config";
import { clientThresholds, expiringClients, expiryAlert, renewalCandidates } from "../domain/expiry";
import type { ExpiringObject, ExpiryAlert } from "../domain/expiry";
import { capacityForecast, FORECAST_WINDOW_DAYS } from "../domain/revocation-capacity";
import type { CapacityForecast } from "../domain/revocation-capacity";
import { thumbprintOf } from "../domain/thumbprint";
import { parseGatewayId } from "./gateway";
import type { GatewayClient } from "./gateway";
import type { KeyVaultClients } from "./keyvault";
import type { Ledger } from "./ledger";
import type { RootCa } from "./ca-model";
import { trustedRoots } from "./managed-roots";
import { UNKNOWN_ROOT_PARTITION } from "./revocation-index";
import type { RootRegistry } from "./root-registry";

export type ExpiryConfig = Pick<
  Config,
  | "GATEWAY_RESOURCE_IDS"
  | "EXPIRY_ALERT_THRESHOLDS_DAYS"
  | "CLIENT_EXPIRY_WARNING_DAYS"
  | "CLIENT_RENEWAL_DAYS"
  | "REVOCATION_CAPACITY_ALERT_PERCENT"
>;

export interface RenewalCandidate {
  readonly upn: string;
  readonly certificateName: string;
  readonly thumbprint: string;
  readonly notAfter: string;
}

export interface GatewayCapacity {
  readonly gatewayId: string;
  readonly name: string;
  readonly above: boolean;
  readonly forecast: CapacityForecast;
}

export interface ExpiryScan {
  readonly alerts: ExpiryAlert[];
  readonly renewals: RenewalCandidate[];
  readonly capacity: GatewayCapacity[];
  /** What could not be read (a gateway, Key Vault): said in a warning alert, the rest is still judged. */
  readonly problems: string[];
}

export async function scanExpiry(
  config: ExpiryConfig,
  deps: {
    readonly ledger: Ledger;
    readonly keyVault: KeyVaultClients;
    readonly gateways: GatewayClient;
    readonly roots: Pick<RootRegistry, "list">;
  },
  now: Date,
): Promise<ExpiryScan> {
  const problems: string[] = [];
  const roots: ExpiringObject[] = [];
  const capacity: GatewayCapacity[] = [];
  // Every trusted managed root (the signing one, one still retiring, one a rotation has made), not only CA_ROOT_NAME.
  const managed = await trustedRoots(deps.keyVault, deps.roots);
  const revokedAts = await recentRevocations(deps.ledger, managed.trusted, managed.rootError !== undefined, now);
  for (const id of config.GATEWAY_RESOURCE_IDS) {
    const ref = parseGatewayId(id);
    try {
      const { state } = await deps.gateways.read(ref);
      for (const root of state.roots) {
        const decoded = decodeRoot(root.publicCertData);
        if (decoded === undefined) {
          problems.push(`root ${root.name} on ${ref.name} is not a readable certificate`);
          continue;
        }
        roots.push({
          kind: "gateway-root",
          objectId: `${id}/${root.name}`,
          label: `root ${root.name} on gateway ${ref.name}`,
          ...decoded,
        });
      }
      const forecast = capacityForecast(state.revoked.length, MAX_REVOKED_CERTIFICATES, revokedAts, now);
      const above = state.revoked.length * 100 >= config.REVOCATION_CAPACITY_ALERT_PERCENT * MAX_REVOKED_CERTIFICATES;
      capacity.push({ gatewayId: id, name: ref.name, above, forecast });
    } catch (error) {
      problems.push(`gateway ${ref.name} could not be read: ${messageOf(error)}`);
    }
  }
  if (managed.rootError !== undefined) problems.push(managed.rootError);
  for (const root of managed.trusted) {
    roots.push({
      kind: "ca-root",
      objectId: root.name,
      label: `the CA root ${root.name} in Key Vault`,
      thumbprint: root.thumbprint.toUpperCase(),
      notAfter: new Date(root.notAfter).toISOString(),
    });
  }
  const live = [...(await deps.ledger.listByStatus("active")), ...(await deps.ledger.listByStatus("issuing"))];
  const thresholds = config.EXPIRY_ALERT_THRESHOLDS_DAYS;
  const clientLevels = clientThresholds(thresholds, config.CLIENT_EXPIRY_WARNING_DAYS);
  const alerts = [
    ...roots.map((o) => expiryAlert(o, now, thresholds)),
    ...expiringClients(live).map((o) => expiryAlert(o, now, clientLevels)),
  ].filter((a): a is ExpiryAlert => a !== undefined);
  const renewals = renewalCandidates(live, now, config.CLIENT_RENEWAL_DAYS).map((r) => ({
    upn: r.upn,
    certificateName: r.certificateName,
    thumbprint: r.thumbprint ?? "",
    notAfter: r.notAfter?.toISOString() ?? "",
  }));
  return { alerts, renewals, capacity, problems };
}

/**
 * When each revocation of the forecast window was made, from the revocation index: the trusted roots' partitions (and
 * records without a root), only certificates that had not expired before the window (one revoked in it had not).
 * Every partition when a root cannot be read.
 */
async function recentRevocations(
  ledger: Ledger,
  trusted: readonly RootCa[],
  rootUnknown: boolean,
  now: Date,
): Promise<Date[]> {
  await ledger.revocations.ensureBackfilled(() => ledger.listByStatus("revoked"));
  const since = new Date(now.getTime() - FORECAST_WINDOW_DAYS * 86_400_000);
  const partitions = [...trusted.map((r) => r.thumbprint), UNKNOWN_ROOT_PARTITION];
  const read = rootUnknown
    ? await ledger.revocations.readAll(since)
    : await ledger.revocations.readForWriter(partitions, since);
  return read.entries.flatMap((r) => (r.revokedAt === undefined ? [] : [r.revokedAt]));
}

function decodeRoot(publicCertData: string): { thumbprint: string; notAfter: string } | undefined {
  try {
    const der = Buffer.from(publicCertData, "base64");
    const info = parseCertificate(der, "root certificate");
    return { thumbprint: thumbprintOf(der), notAfter: info.notAfter.toISOString() };
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
