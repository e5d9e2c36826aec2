// The naive side of bench:revoke, as revocation scripts usually work: each revocation runs its own read-modify-write
// of the gateway with the SDK (GET, append the thumbprint, full-object PUT without If-Match, wait for the operation),
// and when the gateway is busy (a 409, or, as Azure mostly answers, an operation that fails AnotherOperationInProgress)
// backs off exponentially (with jitter) and starts again from the read.
import { readFileSync } from "node:fs";
import { NetworkManagementClient } from "@azure/arm-network";
import type { TokenCredential } from "@azure/core-auth";
import { RestError } from "@azure/core-rest-pipeline";
import { buildP2sGateway } from "../dev/emulators/arm";
import type { Sandbox } from "../dev/sandbox/sandbox";
import { parseGatewayId } from "../src/clients/gateway";
import { armCounts, burst, randomThumbprint, sleep } from "./revoke-support";
import type { RunFigures } from "./revoke-support";

/** A gateway of its own, so the app's writer never touches what the scripts write. */
const NAIVE_GATEWAY_ID =
  "/subscriptions/00000000-0000-0000-0000-00000000c0de/resourceGroups/rg-p2s-sandbox/providers/Microsoft.Network/virtualNetworkGateways/vgw-naive";
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 16_000;
const POLL_MS = 100;

const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: "bench", expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }),
};

export async function runNaive(sandbox: Sandbox, count: number, burstMs: number): Promise<RunFigures> {
  sandbox.arm.controls.seedGateway(NAIVE_GATEWAY_ID, buildP2sGateway({ id: NAIVE_GATEWAY_ID }));
  const ref = parseGatewayId(NAIVE_GATEWAY_ID);
  const client = new NetworkManagementClient(credential, ref.subscriptionId, {
    endpoint: sandbox.endpoints.armUrl,
    credentialScopes: ["https://management.azure.com/.default"],
    tlsOptions: { ca: readFileSync(sandbox.endpoints.caFile, "utf8") },
  });
  const gateways = client.virtualNetworkGateways;

  const revoke = async (thumbprint: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const gateway = await gateways.get(ref.resourceGroup, ref.name);
      const vpn = gateway.vpnClientConfiguration ?? {};
      const revoked = vpn.vpnClientRevokedCertificates ?? [];
      gateway.vpnClientConfiguration = {
        ...vpn,
        vpnClientRevokedCertificates: [...revoked, { name: `revoked-${thumbprint}`, thumbprint }],
      };
      try {
        await gateways.beginCreateOrUpdateAndWait(ref.resourceGroup, ref.name, gateway, {
          updateIntervalInMs: POLL_MS,
        });
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
        await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
      }
    }
  };

  const thumbprints = Array.from({ length: count }, randomThumbprint);
  const before = armCounts(sandbox.arm, NAIVE_GATEWAY_ID);
  const started = performance.now();
  await burst(thumbprints, burstMs, revoke);
  const settledMs = performance.now() - started;
  const after = armCounts(sandbox.arm, NAIVE_GATEWAY_ID);
  const final = await gateways.get(ref.resourceGroup, ref.name);
  const wanted = new Set(thumbprints);
  const onGateway = (final.vpnClientConfiguration?.vpnClientRevokedCertificates ?? []).filter((r) =>
    wanted.has((r.thumbprint ?? "").toUpperCase()),
  ).length;

  return {
    revocations: count,
    writes: after.writes - before.writes,
    refusals: after.refusals - before.refusals,
    // Every script has returned once its own write has succeeded: the last one ends the run.
    wallMs: settledMs,
    settledMs,
    onGateway,
  };
}

/** Busy in either form: a synchronous 409, or a long-running operation that failed AnotherOperationInProgress. */
function isBusy(error: unknown): boolean {
  if (error instanceof RestError) return error.statusCode === 409;
  return error instanceof Error && error.message.includes("AnotherOperationInProgress");
}
