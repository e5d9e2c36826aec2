// Offboard wins: whatever the interleaving of onboard, reissue and offboard tickets for one user, a user whose last
// accepted ticket is an offboarding ends with no valid unrevoked certificate, in the ledger, in Key Vault and on the
// gateway. A property over random sequences and timings (fast-check), run against the real orchestrations on the dev
// host: the requests overlap at random points of each other's issuance and offboarding.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import fc from "fast-check";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { isLive } from "../../src/domain/ledger";
import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { postTicket, ticketInstance } from "../support/ticket-client";
import { waitFor } from "../support/wait";

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await sandbox.stop();
});

interface Step {
  readonly action: "onboard" | "offboard" | "reissue";
  readonly lostDevice: boolean;
  readonly pause: Pause;
}
/** What the ticketing side does before the next ticket: nothing, a short wait, or wait until every ticket has ended. */
type Pause = { readonly kind: "none" } | { readonly kind: "sleep"; readonly ms: number } | { readonly kind: "settle" };

const pause: fc.Arbitrary<Pause> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Pause>({ kind: "none" }) },
  { weight: 3, arbitrary: fc.integer({ min: 5, max: 400 }).map<Pause>((ms) => ({ kind: "sleep", ms })) },
  { weight: 1, arbitrary: fc.constant<Pause>({ kind: "settle" }) },
);
const step: fc.Arbitrary<Step> = fc.record({
  action: fc.constantFrom("onboard", "offboard", "reissue"),
  lostDevice: fc.boolean(),
  pause,
});
/** Sequences that end with an offboarding, after up to four other tickets. */
const endingInOffboard = fc
  .tuple(fc.array(step, { minLength: 1, maxLength: 4 }), pause)
  .map(([steps, last]): Step[] => [...steps, { action: "offboard", lostDevice: false, pause: last }]);

/** A few runs keep the suite fast; P2S_OFFBOARD_WINS_RUNS explores more (e.g. 50 before a release). */
const RUNS = Number(process.env.P2S_OFFBOARD_WINS_RUNS ?? "4");
const TERMINAL = new Set(["Completed", "Failed", "Terminated"]);
let run = 0;

/** Steps after which a request issues nothing more: it waits on its user to collect what it issued. */
const DELIVERING = new Set(["awaiting-collection", "awaiting-download"]);

function settled(instanceId: string): boolean {
  const snapshot = sandbox.durable.inspect(instanceId);
  if (snapshot === undefined) return false;
  const step = (snapshot.customStatus as { step?: unknown } | null)?.step;
  return TERMINAL.has(snapshot.runtimeStatus) || (typeof step === "string" && DELIVERING.has(step));
}

/** Every request has ended, or waits on a delivery (which only ever revokes, once collected, never issues). */
async function allEnded(instanceIds: readonly string[]): Promise<void> {
  await waitFor(() => instanceIds.every(settled), {
    timeoutMs: 60_000,
    intervalMs: 25,
    message: `the tickets' requests (${instanceIds.join(", ")}) to end or await collection`,
  });
}

function revokedOnGateway(): string[] {
  const gateway = sandbox.arm.controls.gateway(sandbox.endpoints.gatewayIds[0] ?? "") as {
    properties: { vpnClientConfiguration: { vpnClientRevokedCertificates?: { properties: { thumbprint: string } }[] } };
  };
  return (gateway.properties.vpnClientConfiguration.vpnClientRevokedCertificates ?? []).map(
    (r) => r.properties.thumbprint,
  );
}

it("a user whose last ticket is an offboarding ends with no valid unrevoked certificate", async () => {
  await fc.assert(
    fc.asyncProperty(endingInOffboard, async (steps) => {
      run += 1;
      const upn = `wins${String(run)}@contoso.com`;
      const instanceIds: string[] = [];
      for (const [index, s] of steps.entries()) {
        const ticketId = `PBT${String(run)}-${String(index)}`;
        const body = {
          action: s.action,
          upn,
          ticketId,
          ...(s.action === "reissue" && s.lostDevice ? { lostDevice: true } : {}),
        };
        const answer = await postTicket(sandbox, JSON.stringify(body));
        if (answer.status !== 202) throw new Error(`ticket ${ticketId} answered ${answer.status}: ${answer.text}`);
        instanceIds.push(ticketInstance({ ticketId, action: s.action, upn }).instanceId);
        const { pause: then } = s;
        if (then.kind === "sleep") await new Promise((r) => setTimeout(r, then.ms));
        if (then.kind === "settle") await allEnded(instanceIds);
      }
      await allEnded(instanceIds);

      const records = await Ledger.fromConfig(getConfig()).listUserCertificates(upn);
      const live = records.filter(isLive);
      expect(live.map((r) => `${r.certificateName}: ${r.status}`)).toEqual([]);
      for (const r of records) {
        // Every certificate made for the user is disabled in Key Vault: no PFX can be exported from it any more.
        expect({
          name: r.certificateName,
          enabled: sandbox.keyVault.vault.describe(r.certificateName).enabled,
        }).toEqual({
          name: r.certificateName,
          enabled: false,
        });
      }
      const thumbprints = records.flatMap((r) => (r.thumbprint === undefined ? [] : [r.thumbprint]));
      await waitFor(() => thumbprints.every((t) => revokedOnGateway().includes(t)), {
        timeoutMs: 20_000,
        message: `every thumbprint of ${upn} on the gateway's revocation list`,
      });
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
});
