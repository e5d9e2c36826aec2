// Who may read a delivery's one-time credential: a holder of Certificates.Export, the request's submitter (same
// object id), or the certificate's owner with their own delegated token; nobody else, and never an app named like
// the owner.
jest.mock(
  "@azure/functions-core",
  () =>
    jest.requireActual<typeof import("../../support/durable/fake-invoker")>("../../support/durable/fake-invoker")
      .coreStandin,
  { virtual: true },
);

import { mayCollect } from "../../../src/functions/delivery-credential-http";
import type { Actor } from "../../../src/functions/auth/actor";

const base: Actor = {
  kind: "app",
  objectId: "11111111-1111-1111-1111-111111111111",
  tenantId: "t",
  appId: "a",
  name: "helpdesk",
  roles: [],
};
const delivery = { upn: "alice@contoso.com" };
const submitted = { submitterObjectId: "22222222-2222-2222-2222-222222222222" };

describe("mayCollect", () => {
  it("lets a holder of Certificates.Export read any delivery", () => {
    expect(mayCollect({ actor: base, mayExport: true }, delivery, undefined)).toBe(true);
  });

  it("lets the submitter read its own request's credential, by object id", () => {
    const submitter = { ...base, objectId: submitted.submitterObjectId };
    expect(mayCollect({ actor: submitter, mayExport: false }, delivery, submitted)).toBe(true);
    expect(mayCollect({ actor: base, mayExport: false }, delivery, submitted)).toBe(false);
    expect(mayCollect({ actor: submitter, mayExport: false }, delivery, undefined)).toBe(false);
    expect(mayCollect({ actor: submitter, mayExport: false }, delivery, {})).toBe(false);
  });

  it("lets the owner read with their own delegated token only", () => {
    const alice: Actor = { ...base, kind: "user", upn: "alice@contoso.com", name: "alice@contoso.com" };
    expect(mayCollect({ actor: alice, mayExport: false }, delivery, submitted)).toBe(true);
    const bob: Actor = { ...alice, upn: "bob@contoso.com" };
    expect(mayCollect({ actor: bob, mayExport: false }, delivery, submitted)).toBe(false);
    const appNamedAlice: Actor = { ...base, name: "alice@contoso.com" };
    expect(mayCollect({ actor: appNamedAlice, mayExport: false }, delivery, submitted)).toBe(false);
  });
});
