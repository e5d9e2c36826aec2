// The rotation's view of issuances running across its promotion, against an in-memory ledger: which certificates are
// recorded "issuing", and how many of them may still finish (still "issuing" and moved within the last hour).
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);
let mockServices: unknown;
jest.mock("../../../src/activities/services", () => ({ services: () => mockServices }));

import "../../../src/activities/rotation-issuances";
import type { CertificateRecord } from "../../../src/domain/ledger";
import { FakeInvoker } from "../../support/durable/fake-invoker";
import { fakeServices } from "./activity-fakes";
import type { FakeServices } from "./activity-fakes";

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);
const invoker = new FakeInvoker();
let s: FakeServices;

async function call(name: string, input: unknown): Promise<unknown> {
  return (await invoker.invoke(name, input)).returnValue;
}

function record(user: string, name: string, status: CertificateRecord["status"], ageMs: number): CertificateRecord {
  return {
    userKey: user,
    upn: user,
    certificateName: name,
    status,
    requestId: `req-${name}`,
    source: "ticket",
    sourceId: `T-${name}`,
    updatedAt: new Date(NOW - ageMs),
  };
}

beforeEach(() => {
  // The worker's clock is ten hours ahead of the rotation's: the activities judge by the `now` they are given.
  jest.useFakeTimers({ now: NOW + 10 * 3_600_000, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  s = fakeServices();
  mockServices = s;
});

afterEach(() => {
  jest.useRealTimers();
});

it("lists the certificates recorded issuing that may still finish, by user and name, and nothing else", async () => {
  await s.ledger.putCertificate(record("a@x.com", "p2s-a", "issuing", 1000));
  await s.ledger.putCertificate(record("b@x.com", "p2s-b", "active", 1000));
  // Given up on: a terminal failure leaves its record "issuing" for good.
  await s.ledger.putCertificate(record("c@x.com", "p2s-c", "issuing", 3 * 3_600_000));
  await s.ledger.putCertificate(record("d@x.com", "p2s-d", "issuing", 0));
  expect(await call("listIssuingCertificates", { rotationId: "r1", now: new Date(NOW).toISOString() })).toEqual([
    { userKey: "a@x.com", certificateName: "p2s-a" },
    { userKey: "d@x.com", certificateName: "p2s-d" },
  ]);
});

it("counts those still issuing and moved within the hour; an ended, vanished or abandoned one no longer counts", async () => {
  const names = ["running", "recent", "ended", "failed-long-ago", "edge"].map((n) => ({
    userKey: "a@x.com",
    certificateName: n,
  }));
  await s.ledger.putCertificate(record("a@x.com", "running", "issuing", 0));
  await s.ledger.putCertificate(record("a@x.com", "recent", "issuing", 3_600_000 - 1));
  await s.ledger.putCertificate(record("a@x.com", "ended", "active", 0));
  await s.ledger.putCertificate(record("a@x.com", "failed-long-ago", "issuing", 3_600_000 + 1));
  // Exactly an hour without a move: given up on.
  await s.ledger.putCertificate(record("a@x.com", "edge", "issuing", 3_600_000));
  expect(
    await call("countUnfinishedIssuances", {
      certificates: [...names, { userKey: "z", certificateName: "gone" }],
      now: new Date(NOW).toISOString(),
    }),
  ).toBe(2);
  expect(await call("countUnfinishedIssuances", { certificates: [], now: new Date(NOW).toISOString() })).toBe(0);
});
