// Request bodies over the limit are refused while reading: a declared Content-Length at once, a chunked body as soon
// as the bytes read pass the limit, without pulling the rest of the stream.
import type { HttpRequest } from "@azure/functions";
import { z } from "zod";
import { jsonBody, MAX_BODY_BYTES } from "../../src/functions/http-validation";

const CHUNK = 1024;
const schema = z.object({ requestId: z.string() });

/** A chunked body of `chunks` pieces of CHUNK bytes, counting what the reader pulls. */
function streamedRequest(chunks: number, headers: Record<string, string> = {}) {
  const seen = { pulledBytes: 0, cancelled: false };
  let sent = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent === chunks) {
          controller.close();
          return;
        }
        sent += 1;
        seen.pulledBytes += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  // No Content-Length: the body is streamed (chunked), as a client sending an unknown length does.
  const request = new Request("http://127.0.0.1/api/v1/users/ada@contoso.com/revocations", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    duplex: "half",
  });
  return { request: request as unknown as HttpRequest, seen };
}

describe("jsonBody and the body limit", () => {
  it("refuses a chunked body with 413 once it passes the limit, reading no more than one chunk past it", async () => {
    const total = 64 * CHUNK;
    expect(total).toBeGreaterThan(2 * MAX_BODY_BYTES);
    const { request, seen } = streamedRequest(total / CHUNK);
    const result = await jsonBody(request, schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(413);
    expect(seen.pulledBytes).toBeLessThanOrEqual(MAX_BODY_BYTES + CHUNK);
    expect(seen.cancelled).toBe(true);
  });

  it("refuses a declared Content-Length over the limit before reading anything", async () => {
    const { request, seen } = streamedRequest(64, { "content-length": String(64 * CHUNK) });
    const result = await jsonBody(request, schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(413);
    expect(seen.pulledBytes).toBe(0);
  });

  it("reads a chunked body under the limit to the end", async () => {
    const json = JSON.stringify({ requestId: "INC1", pad: " ".repeat(3 * CHUNK) });
    const bytes = new TextEncoder().encode(json);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += CHUNK) controller.enqueue(bytes.slice(i, i + CHUNK));
        controller.close();
      },
    });
    const request = new Request("http://127.0.0.1/x", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    }) as unknown as HttpRequest;
    expect(await jsonBody(request, schema)).toEqual({ ok: true, value: { requestId: "INC1" } });
  });
});
