// Standalone secrets through the real SecretClient (the RADIUS secret of issue 8 is one): set makes versions, get
// answers the latest or a given one, an unknown name is 404 SecretNotFound, a certificate's own secret is still
// served, and a certificate's name cannot be taken by a standalone secret.
import { RestError } from "@azure/core-rest-pipeline";
import { startHarness, POLL } from "./harness";
import type { Harness } from "./harness";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

describe("standalone secrets", () => {
  it("sets versions and gets the latest or a named one", async () => {
    const first = await h.secrets.setSecret("radius-vgw-hub", "first-value", { contentType: "text/plain" });
    const second = await h.secrets.setSecret("radius-vgw-hub", "second-value");
    expect(first.properties.version).not.toBe(second.properties.version);
    expect((await h.secrets.getSecret("radius-vgw-hub")).value).toBe("second-value");
    const old = await h.secrets.getSecret("radius-vgw-hub", { version: first.properties.version ?? "" });
    expect(old.value).toBe("first-value");
    expect(old.properties.contentType).toBe("text/plain");
    expect(old.properties.enabled).toBe(true);
  });

  it("answers 404 SecretNotFound for a name nothing holds", async () => {
    const error = await h.secrets.getSecret("no-such-secret").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).statusCode).toBe(404);
    expect((error as RestError).code).toBe("SecretNotFound");
  });

  it("still serves a certificate's secret, and refuses a standalone secret under a certificate's name", async () => {
    const poller = await h.certificates.beginCreateCertificate(
      "cert-a",
      { issuerName: "Self", subject: "CN=a", exportable: true, contentType: "application/x-pem-file" },
      POLL,
    );
    await poller.pollUntilDone();
    expect((await h.secrets.getSecret("cert-a")).value).toContain("BEGIN CERTIFICATE");
    const error = await h.secrets.setSecret("cert-a", "x").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as RestError).statusCode).toBe(409);
  });
});
