// The offboarding orchestration, step by step: the ledger first, then Key Vault, then every gateway's writer in
// parallel, each under the offboarding retry policy; any failure raises a critical alert before the instance fails.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { offboardUser } from "../../../src/orchestrations/offboard-user";
import type { OffboardInput } from "../../../src/orchestrations/offboard-user";
import type { GatewayWriterInput } from "../../../src/domain/gateway-writer-input";
import { OrchestrationDriver } from "./orchestration-driver";

/** The alert key an orchestration gives one raise (see failureKey in src/orchestrations/fail-loudly.ts). */
const FAILURE_KEY: unknown = expect.stringMatching(/^failure:/);

const RETRY = {
  firstRetryIntervalInMilliseconds: 5000,
  maxNumberOfAttempts: 8,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 300_000,
};
const writer = (name: string): GatewayWriterInput =>
  ({
    gatewayId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/${name}`,
  }) as unknown as GatewayWriterInput;
const input: OffboardInput = {
  request: {
    upn: "leaver@contoso.com",
    requestId: "off-7",
    reason: "left the company",
    source: "hr",
    sourceId: "HR-9",
    actor: "hr",
    effectiveAt: "2030-01-01T00:00:00.000Z",
    gatewayIds: [],
  },
  writers: [writer("gw-a"), writer("gw-b")],
};
const revoked = { certificateNames: ["c1", "c2"], thumbprints: ["AA", "BB"] };

describe("offboardUser", () => {
  it("revokes in the ledger, disables in Key Vault, then asks every gateway's writer at once", () => {
    const flow = new OrchestrationDriver(offboardUser, input);
    expect(flow.call).toEqual({ functionName: "markUserRevoked", input: input.request, retry: RETRY });
    flow.answer(revoked);
    expect(flow.call).toEqual({
      functionName: "disableCertificates",
      input: { certificateNames: ["c1", "c2"] },
      retry: RETRY,
    });
    flow.answer(2);
    expect(flow.fanOut).toEqual(
      input.writers.map((w) => ({
        functionName: "requestGatewaySync",
        input: { writer: w, reason: "offboarding off-7" },
        retry: RETRY,
      })),
    );
    flow.answer(["started", "signalled"]);
    expect(flow.output).toEqual({ upn: "leaver@contoso.com", revokedThumbprints: ["AA", "BB"], gateways: 2 });
  });

  it("completes without a gateway step when no gateway is configured (Task.all refuses an empty list)", () => {
    const flow = new OrchestrationDriver(offboardUser, { ...input, writers: [] });
    flow.answer(revoked);
    flow.answer(2);
    expect(flow.output).toEqual({ upn: "leaver@contoso.com", revokedThumbprints: ["AA", "BB"], gateways: 0 });
  });

  it.each([
    ["the ledger", 0],
    ["Key Vault", 1],
    ["a gateway writer", 2],
  ])("raises a critical alert naming the user and the request when %s fails, then fails", (_what, step) => {
    const flow = new OrchestrationDriver(offboardUser, input);
    const answers = [revoked, 2];
    for (const answer of answers.slice(0, step)) flow.answer(answer);
    const error = new Error("Activity function failed: 503 Service Unavailable\n   at somewhere");
    flow.fail(error);
    expect(flow.call).toEqual({
      functionName: "raiseAlert",
      input: {
        severity: "critical",
        title: "Offboarding of leaver@contoso.com failed (request off-7)",
        detail:
          "Activity function failed: 503 Service Unavailable; the user's certificates may still work. " +
          "gatewayReconcile restarts the offboarding",
        subject: "leaver@contoso.com",
        key: FAILURE_KEY,
      },
      retry: RETRY,
    });
    expect(() => flow.answer("sent")).toThrow(error);
  });

  it("fails with both causes when the alert cannot be sent either", () => {
    const flow = new OrchestrationDriver(offboardUser, input).fail(new Error("table down"));
    expect(() => flow.fail(new Error("webhook down"))).toThrow(
      new Error("table down; the alert could not be sent: webhook down"),
    );
  });

  it("describes and rethrows a failure that is not an Error as one", () => {
    const flow = new OrchestrationDriver(offboardUser, input);
    flow.fail("plain text failure" as unknown as Error);
    expect((flow.call.input as { detail: string }).detail).toMatch(/^plain text failure; /);
    expect(() => flow.answer("logged")).toThrow(new Error("plain text failure"));
  });

  it("alerts with a non-Error's text when the alert fails too", () => {
    const flow = new OrchestrationDriver(offboardUser, input).fail(new Error("table down"));
    expect(() => flow.fail("no route" as unknown as Error)).toThrow(
      new Error("table down; the alert could not be sent: no route"),
    );
  });
});
