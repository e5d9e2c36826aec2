// The edge of POST /api/v1/requests without the host: the body's fields (each refusal names its field; no UPN with a
// DN metacharacter or a control character gets through), the 64 KiB limit applied while reading, and the secrets a
// signature may be made with during a rotation.
import type { HttpRequest } from "@azure/functions";
import { parseConfig } from "../../src/config";
import { checkSignature, signedHeaders } from "../../src/domain/request-signature";
import { parseJsonText, rawJsonBody } from "../../src/functions/http-validation";
import { TICKET_BODY_MAX_BYTES, ticketRequestSchema } from "../../src/functions/ticket-request-body";
import { ticketSecrets } from "../../src/functions/ticket-request-auth";
import { baseEnv } from "../support/env";

const valid = { action: "onboard", upn: "ada@contoso.com", ticketId: "INC0001" };

function detailOf(body: unknown): string {
  const result = parseJsonText(JSON.stringify(body), ticketRequestSchema);
  if (result.ok) throw new Error("accepted");
  expect(result.response.status).toBe(400);
  return (result.response.jsonBody as { detail: string }).detail;
}

describe("the ticket request body", () => {
  it("accepts every action a ticket may ask, with the optional fields", () => {
    for (const action of ["onboard", "offboard", "reissue"]) {
      expect(parseJsonText(JSON.stringify({ ...valid, action }), ticketRequestSchema).ok).toBe(true);
    }
    const full = {
      ...valid,
      action: "reissue",
      requestedBy: "helpdesk@contoso.com",
      reason: "laptop stolen",
      ticketCreatedAt: "2030-01-01T10:00:00+01:00",
      callbackUrl: "https://tickets.contoso.com/hook",
      lostDevice: true,
    };
    expect(parseJsonText(JSON.stringify(full), ticketRequestSchema)).toEqual({ ok: true, value: full });
  });

  it("refuses an unknown action, naming the field", () => {
    expect(detailOf({ ...valid, action: "renew" })).toMatch(/^action: /);
    expect(detailOf({ ...valid, action: "promote" })).toMatch(/^action: /);
  });

  it("names each missing or malformed field", () => {
    expect(detailOf({ action: "onboard", upn: "ada@contoso.com" })).toMatch(/^ticketId: /);
    expect(detailOf({ ...valid, ticketId: "INC 1" })).toMatch(/^ticketId: /);
    expect(detailOf({ ...valid, ticketCreatedAt: "yesterday" })).toMatch(/^ticketCreatedAt: /);
    expect(detailOf({ ...valid, lostDevice: "yes" })).toMatch(/^lostDevice: /);
    expect(detailOf({ ...valid, lostDevice: true })).toBe("lostDevice: applies to reissue only");
    expect(detailOf({ ...valid, reason: "line\nbreak" })).toMatch(/^reason: /);
    expect(detailOf([valid])).toMatch(/^\(body\): /);
  });

  it.each([",", "+", '"', "\\", "<", ">", ";", "=", "#", "\u0000", "\u001f", "\u007f", "\n"])(
    "refuses a UPN with %j in it",
    (char) => {
      expect(detailOf({ ...valid, upn: `ad${char}a@contoso.com` })).toMatch(/^upn: UPN /);
    },
  );

  it("refuses bad JSON", () => {
    const result = parseJsonText("{", ticketRequestSchema);
    expect(result.ok ? 0 : result.response.status).toBe(400);
  });
});

describe("the 64 KiB limit of a ticket body", () => {
  const CHUNK = 4096;

  function streamed(totalBytes: number) {
    const seen = { pulled: 0, cancelled: false };
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (seen.pulled >= totalBytes) {
            controller.close();
            return;
          }
          seen.pulled += CHUNK;
          controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
        },
        cancel() {
          seen.cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const request = new Request("http://127.0.0.1/api/v1/requests", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    }) as unknown as HttpRequest;
    return { request, seen };
  }

  it("reads a body of exactly the limit", async () => {
    const { request } = streamed(TICKET_BODY_MAX_BYTES);
    const raw = await rawJsonBody(request, TICKET_BODY_MAX_BYTES);
    expect(raw.ok && raw.value.length).toBe(TICKET_BODY_MAX_BYTES);
  });

  it("refuses a larger chunked body with 413 as soon as it passes the limit, without reading the rest", async () => {
    const { request, seen } = streamed(4 * TICKET_BODY_MAX_BYTES);
    const raw = await rawJsonBody(request, TICKET_BODY_MAX_BYTES);
    expect(raw.ok ? 200 : raw.response.status).toBe(413);
    expect(seen.pulled).toBeLessThanOrEqual(TICKET_BODY_MAX_BYTES + CHUNK);
    expect(seen.cancelled).toBe(true);
  });
});

describe("the secrets a ticket may be signed with", () => {
  const current = "c".repeat(32);
  const previous = "p".repeat(32);

  it("accepts the current and, during a rotation, the previous secret", () => {
    const secrets = ticketSecrets({ TICKETING_SHARED_SECRET: current, TICKETING_SHARED_SECRET_PREVIOUS: previous });
    const now = Date.now();
    const body = JSON.stringify(valid);
    const signedWith = (secret: string) => {
      const h = signedHeaders(secret, body, now);
      return checkSignature(secrets, h["x-request-timestamp"], h["x-signature-256"], body, now);
    };
    expect(signedWith(current)).toEqual({ ok: true, secretIndex: 0 });
    expect(signedWith(previous)).toEqual({ ok: true, secretIndex: 1 });
    expect(signedWith("x".repeat(32))).toEqual({ ok: false, reason: "mismatch" });
  });

  it("has no secret at all while neither is set", () => {
    expect(ticketSecrets({ TICKETING_SHARED_SECRET: undefined, TICKETING_SHARED_SECRET_PREVIOUS: undefined })).toEqual(
      [],
    );
  });

  it("validates TICKETING_SHARED_SECRET_PREVIOUS like the current secret", () => {
    expect(() => parseConfig(baseEnv({ TICKETING_SHARED_SECRET_PREVIOUS: "short" }))).toThrow(
      /TICKETING_SHARED_SECRET_PREVIOUS must be at least 32 characters/,
    );
    const config = parseConfig(baseEnv({ TICKETING_SHARED_SECRET_PREVIOUS: previous }));
    expect(config.TICKETING_SHARED_SECRET_PREVIOUS).toBe(previous);
    expect(parseConfig(baseEnv()).TICKETING_SHARED_SECRET_PREVIOUS).toBeUndefined();
  });
});
