// The root rotation's API: POST /api/v1/roots/rotations (role Roots.Rotate, a reason) starts one rotation and answers
// the running one to a second start; GET /api/v1/requests/{id} follows it as kind `rotation` with its step; the cancel
// route takes the same role and refuses a request that is not a rotation.
jest.mock(
  "@azure/functions-core",
  () => jest.requireActual<typeof import("../../dev/host/core-api")>("../../dev/host/core-api").coreApi,
  { virtual: true },
);

import { startTestSandbox } from "../support/sandbox";
import type { TestSandbox } from "../support/sandbox";
import { waitFor } from "../support/wait";

let sandbox: TestSandbox;

/** The rotation instances the durable backend holds. */
function rotations(): string[] {
  return sandbox.durable.instanceIds().filter((id) => sandbox.durable.inspect(id)?.name === "rootRotation");
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await sandbox.stop();
});

const ROTATIONS = "/api/v1/roots/rotations";

function detailOf(body: unknown): string {
  return (body as { detail?: string } | undefined)?.detail ?? "";
}

describe("POST /api/v1/roots/rotations", () => {
  it("refuses a caller without Roots.Rotate (403 naming it) and a call without a token (401); nothing starts", async () => {
    const reader = await sandbox.api("POST", ROTATIONS, { reason: "yearly" }, sandbox.endpoints.readerToken);
    expect([reader.status, detailOf(reader.body)]).toEqual([403, "the caller does not hold the app role Roots.Rotate"]);
    const none = await sandbox.api("POST", ROTATIONS, { reason: "yearly" }, null);
    expect(none.status).toBe(401);
    expect(rotations()).toEqual([]);
  });

  it("refuses a body without a reason, with unknown fields or not JSON (400/415); nothing starts", async () => {
    for (const body of [{}, { reason: "" }, { reason: "x", force: true }, { reason: "y".repeat(257) }]) {
      const response = await sandbox.api("POST", ROTATIONS, body);
      expect([JSON.stringify(body).slice(0, 40), response.status]).toEqual([JSON.stringify(body).slice(0, 40), 400]);
    }
    expect(rotations()).toEqual([]);
  });

  it("starts a rotation (202), answers the running one to a second start, and GET shows it as kind rotation", async () => {
    const first = await sandbox.api("POST", ROTATIONS, { reason: "yearly rotation" });
    expect(first.status).toBe(202);
    const accepted = first.body as { requestId: string; status: string; statusUrl: string };
    expect(accepted.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(accepted.statusUrl).toMatch(new RegExp(`/api/v1/requests/${accepted.requestId}$`));
    expect(first.headers.get("location")).toBe(accepted.statusUrl);

    const again = await sandbox.api("POST", ROTATIONS, { reason: "again" });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ requestId: accepted.requestId, joined: "true" });
    expect(rotations()).toHaveLength(1);

    const view = await waitFor(
      async () => {
        const got = await sandbox.api("GET", `/api/v1/requests/${accepted.requestId}`);
        return (got.body as { step: string | null }).step === null ? undefined : got;
      },
      { message: "the rotation's first step", intervalMs: 50 },
    );
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ requestId: accepted.requestId, kind: "rotation", status: "running" });
    expect((view.body as { step: string }).step).toMatch(/^(creating-root|adding-root-to-gateways)$/);
  });

  it("cancel: takes Roots.Rotate, a reason, and a rotation's id (404 for any other request)", async () => {
    const reader = await sandbox.api(
      "POST",
      `${ROTATIONS}/${"0".repeat(32)}/cancel`,
      { reason: "no" },
      sandbox.endpoints.readerToken,
    );
    expect(reader.status).toBe(403);
    const unknown = await sandbox.api("POST", `${ROTATIONS}/${"0".repeat(32)}/cancel`, { reason: "no" });
    expect(unknown.status).toBe(404);
    const noReason = await sandbox.api("POST", `${ROTATIONS}/${"0".repeat(32)}/cancel`, {});
    expect(noReason.status).toBe(400);
  });
});
