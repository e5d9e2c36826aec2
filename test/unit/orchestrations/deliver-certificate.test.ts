// deliverCertificate step by step: the package and the passphrase made, then the two waits (collection, download) each
// bounded by the link's expiry, the blob kept only while the download's SAS can still read it, and everything removed
// at the end, or at once when making the package fails. Its inputs, outputs and statuses hold no secret.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import {
  DELIVERY_COLLECTED_EVENT,
  DELIVERY_DOWNLOADED_EVENT,
  deliverCertificate,
  deliveryInstanceId,
} from "../../../src/orchestrations/deliver-certificate";
import type { DeliveryInput } from "../../../src/orchestrations/deliver-certificate";
import { TimedFlow } from "./timed-flow";

const T0 = Date.UTC(2030, 0, 1, 8, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const EXPIRES = new Date(T0 + 24 * HOUR).toISOString();
const NOT_AFTER = "2031-01-01T07:55:00.000Z";
const RETRY = {
  firstRetryIntervalInMilliseconds: 5000,
  maxNumberOfAttempts: 6,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 300_000,
};
const input: DeliveryInput = {
  requestId: "r-1",
  upn: "ann@contoso.com",
  certificateName: "p2s-ann-1",
  thumbprint: "A".repeat(40),
  linkExpiresAt: EXPIRES,
};
const named = { requestId: "r-1", upn: "ann@contoso.com", certificateName: "p2s-ann-1", thumbprint: "A".repeat(40) };

/** Starts the delivery and answers the package and the open: it then waits for the collection. */
function opened(): TimedFlow {
  const flow = new TimedFlow(deliverCertificate, input, T0, "lifecycle-1:delivery");
  expect(flow.call).toEqual({
    functionName: "prepareDeliveryPackage",
    input: { ...named, linkExpiresAt: EXPIRES },
    retry: RETRY,
  });
  flow.answer({ notAfter: NOT_AFTER });
  expect(flow.call).toEqual({
    functionName: "openDelivery",
    input: { ...named, notAfter: NOT_AFTER, linkExpiresAt: EXPIRES, instanceId: "lifecycle-1:delivery" },
    retry: RETRY,
  });
  flow.answer({ opened: true });
  return flow;
}

function closes(flow: TimedFlow, record: { collected: boolean; downloaded: boolean }): void {
  expect(flow.call).toEqual({ functionName: "closeDelivery", input: { requestId: "r-1" }, retry: RETRY });
  flow.answer(record);
}

describe("deliverCertificate", () => {
  it("names its instance after the parent's", () => {
    expect(deliveryInstanceId("lifecycle-1")).toBe("lifecycle-1:delivery");
  });

  it("plans the link's expiry itself when the parent did not", () => {
    const { linkExpiresAt: _planned, ...unplanned } = input;
    const flow = new TimedFlow(deliverCertificate, unplanned, T0);
    expect(flow.call).toEqual({
      functionName: "planDelivery",
      input: { startedAt: new Date(T0).toISOString() },
      retry: RETRY,
    });
    flow.answer({ linkExpiresAt: EXPIRES });
    expect(flow.call.functionName).toBe("prepareDeliveryPackage");
    expect(flow.statuses).toEqual([{ step: "preparing", linkExpiresAt: EXPIRES }]);
  });

  it("collected and downloaded: removes the package once the download's SAS has expired, a minute's grace after", () => {
    const flow = opened();
    expect(flow.race.timer.at).toBe(EXPIRES);
    expect(flow.race.event.name).toBe(DELIVERY_COLLECTED_EVENT);
    flow.clock.now = T0 + HOUR;
    // Raised without a payload: heard all the same.
    const collectionTimer = flow.raise(DELIVERY_COLLECTED_EVENT, undefined);
    expect(collectionTimer.cancelled).toBe(true);
    // A fresh timer for the second wait, to the same expiry.
    expect(flow.race.timer).not.toBe(collectionTimer);
    expect(flow.race.timer.at).toBe(EXPIRES);
    const sasExpiresAt = new Date(T0 + HOUR + 5 * MINUTE).toISOString();
    const downloadTimer = flow.raise(DELIVERY_DOWNLOADED_EVENT, { sasExpiresAt });
    expect(downloadTimer.cancelled).toBe(true);
    expect(flow.pending).toMatchObject({ kind: "timer", at: new Date(T0 + HOUR + 6 * MINUTE).toISOString() });
    flow.fireTimer();
    closes(flow, { collected: true, downloaded: true });
    expect(flow.output).toEqual({
      collected: true,
      downloaded: true,
      thumbprint: input.thumbprint,
      notAfter: NOT_AFTER,
      linkExpiresAt: EXPIRES,
    });
    expect(flow.statuses.map((s) => (s as { step: string }).step)).toEqual([
      "preparing",
      "awaiting-collection",
      "awaiting-download",
      "cleaning-up",
      "done",
    ]);
    expect(flow.statuses.every((s) => (s as { linkExpiresAt: string }).linkExpiresAt === EXPIRES)).toBe(true);
  });

  it("never keeps the package past the link's expiry, and waits for nothing when the SAS has already expired", () => {
    const late = opened();
    late.raise(DELIVERY_COLLECTED_EVENT, {});
    late.raise(DELIVERY_DOWNLOADED_EVENT, { sasExpiresAt: new Date(T0 + 30 * HOUR).toISOString() });
    expect(late.pending).toMatchObject({ kind: "timer", at: EXPIRES });

    const past = opened();
    past.raise(DELIVERY_COLLECTED_EVENT, {});
    past.clock.now = T0 + 2 * HOUR;
    // The SAS ran out a minute's grace ago, to the millisecond: nothing left to wait for.
    past.raise(DELIVERY_DOWNLOADED_EVENT, { sasExpiresAt: new Date(T0 + 2 * HOUR - MINUTE).toISOString() });
    closes(past, { collected: true, downloaded: true });
    expect(past.output).toMatchObject({ collected: true, downloaded: true });
  });

  it("nothing collected by the expiry: removes package and passphrase and says why", () => {
    const flow = opened();
    const timer = flow.fireTimer();
    expect(timer.at).toBe(EXPIRES);
    closes(flow, { collected: false, downloaded: false });
    expect(flow.output).toEqual({
      collected: false,
      downloaded: false,
      thumbprint: input.thumbprint,
      notAfter: NOT_AFTER,
      linkExpiresAt: EXPIRES,
      reason: "the passphrase was not collected before the delivery expired; package and passphrase removed",
    });
    expect(flow.statuses.map((s) => (s as { step: string }).step)).toEqual([
      "preparing",
      "awaiting-collection",
      "cleaning-up",
      "done",
    ]);
  });

  it("collected but not downloaded by the expiry: says so", () => {
    const flow = opened();
    flow.raise(DELIVERY_COLLECTED_EVENT, {});
    flow.fireTimer();
    closes(flow, { collected: true, downloaded: false });
    expect(flow.output).toMatchObject({
      collected: true,
      downloaded: false,
      reason: "the package was not downloaded before the delivery expired; package removed",
    });
  });

  it("believes the record over lost events: a collection and a download it did not hear", () => {
    const flow = opened();
    flow.fireTimer();
    closes(flow, { collected: true, downloaded: true });
    const outcome = flow.output as Record<string, unknown>;
    expect(outcome).toMatchObject({ collected: true, downloaded: true });
    expect(outcome).not.toHaveProperty("reason");
  });

  it("counts the events it heard even when the record has not caught up with them", () => {
    const flow = opened();
    flow.raise(DELIVERY_COLLECTED_EVENT, {});
    flow.raise(DELIVERY_DOWNLOADED_EVENT, { sasExpiresAt: new Date(T0 - MINUTE).toISOString() });
    closes(flow, { collected: false, downloaded: false });
    const outcome = flow.output as Record<string, unknown>;
    expect(outcome).toMatchObject({ collected: true, downloaded: true });
    expect(outcome).not.toHaveProperty("reason");
  });

  it("removes whatever was made when preparing or opening fails, then fails", () => {
    for (const failAt of ["prepareDeliveryPackage", "openDelivery"]) {
      const flow = new TimedFlow(deliverCertificate, input, T0);
      if (failAt === "openDelivery") flow.answer({ notAfter: NOT_AFTER });
      expect(flow.call.functionName).toBe(failAt);
      const error = new Error(`${failAt} failed`);
      flow.fail(error);
      expect(flow.statuses.at(-1)).toEqual({ step: "cleaning-up", linkExpiresAt: EXPIRES });
      expect(flow.call).toEqual({ functionName: "closeDelivery", input: { requestId: "r-1" }, retry: RETRY });
      expect(() => flow.answer({ collected: false, downloaded: false })).toThrow(error);
    }
  });
});
