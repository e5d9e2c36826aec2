// The gateway PUT carries If-Match; the polls of its long-running operation and the final GET must not (the SDK
// reuses a call's custom headers for all of them, and the old ETag no longer matches once the write has landed).
import { createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import type { PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";
import { IF_MATCH_ON_PUT, ifMatchOnPutPolicy } from "../../../src/clients/gateway";

async function send(method: "PUT" | "GET" | "POST", headers: Record<string, string>): Promise<PipelineRequest> {
  const request = createPipelineRequest({
    url: "https://management.example/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworkGateways/v",
    method,
    headers: createHttpHeaders(headers),
  });
  let sent: PipelineRequest | undefined;
  await ifMatchOnPutPolicy.sendRequest(request, (r) => {
    sent = r;
    return Promise.resolve({ request: r, status: 200, headers: createHttpHeaders() } satisfies PipelineResponse);
  });
  if (sent === undefined) throw new Error("the policy did not send the request");
  return sent;
}

describe("the If-Match-on-PUT policy", () => {
  it("turns the marker into If-Match on the PUT", async () => {
    const sent = await send("PUT", { [IF_MATCH_ON_PUT]: 'W/"abc"' });
    expect(sent.headers.get("If-Match")).toBe('W/"abc"');
    expect(sent.headers.get(IF_MATCH_ON_PUT)).toBeUndefined();
  });

  it.each(["GET", "POST"] as const)("sends neither the marker nor If-Match on a %s", async (method) => {
    const sent = await send(method, { [IF_MATCH_ON_PUT]: 'W/"abc"' });
    expect(sent.headers.get("If-Match")).toBeUndefined();
    expect(sent.headers.get(IF_MATCH_ON_PUT)).toBeUndefined();
  });

  it("leaves a request without the marker alone", async () => {
    const sent = await send("GET", { "If-None-Match": "*" });
    expect(sent.headers.get("If-None-Match")).toBe("*");
    expect(sent.headers.get("If-Match")).toBeUndefined();
  });
});
