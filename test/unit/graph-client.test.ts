// The Graph client's requests as they leave the app: the token asked for the configured Graph scope with the app's
// credential, the base URL from GRAPH_ENDPOINT, the UPN escaped in the path and $select naming accountEnabled.
const mockScopes: string[][] = [];
jest.mock("../../src/clients/credential", () => ({
  getCredential: () => ({
    getToken: (scopes: string | string[]) => {
      mockScopes.push(typeof scopes === "string" ? [scopes] : [...scopes]);
      return Promise.resolve({ token: "app-token", expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  }),
}));

import { createHttpHeaders } from "@azure/core-rest-pipeline";
import type { HttpClient, PipelineRequest } from "@azure/core-rest-pipeline";
import { GraphClient } from "../../src/clients/graph";
import type { GraphConfig } from "../../src/clients/graph";

const config: GraphConfig = {
  GRAPH_ENDPOINT: "https://graph.microsoft.us",
  GRAPH_AUDIENCE: "https://graph.microsoft.us/.default",
  GRAPH_THROTTLE_MAX_WAIT_MS: 1000,
  P2S_CREDENTIAL: "default",
  AZURE_CLIENT_ID: undefined,
  P2S_TRUSTED_CA_FILE: undefined,
};

it("asks for the configured scope and reads the user by its escaped UPN with $select", async () => {
  const sent: PipelineRequest[] = [];
  const httpClient: HttpClient = {
    sendRequest: (request) => {
      sent.push(request);
      return Promise.resolve({
        request,
        status: 200,
        headers: createHttpHeaders({ "content-type": "application/json" }),
        bodyAsText: JSON.stringify({ id: "u1", userPrincipalName: "a#b@contoso.com", accountEnabled: true }),
      });
    },
  };
  const user = await new GraphClient(config, { httpClient }).getUser("a#b@contoso.com");
  expect(user).toEqual({ id: "u1", userPrincipalName: "a#b@contoso.com", accountEnabled: true });
  expect(mockScopes).toEqual([["https://graph.microsoft.us/.default"]]);
  expect(sent.map((r) => r.url)).toEqual([
    "https://graph.microsoft.us/v1.0/users/a%23b@contoso.com?$select=id,userPrincipalName,accountEnabled",
  ]);
  expect(sent[0]?.headers.get("authorization")).toBe("Bearer app-token");
});

it("follows a Graph link only under GRAPH_ENDPOINT, so the token never travels elsewhere, and reads Graph's Date", async () => {
  const sent: PipelineRequest[] = [];
  const httpClient: HttpClient = {
    sendRequest: (request) => {
      sent.push(request);
      return Promise.resolve({
        request,
        status: 200,
        headers: createHttpHeaders({ "content-type": "application/json", date: "Tue, 01 Jan 2030 00:00:00 GMT" }),
        bodyAsText: JSON.stringify({ value: [] }),
      });
    },
  };
  const graph = new GraphClient(config, { httpClient });
  const answer = await graph.call("GET", "https://graph.microsoft.us/v1.0/groups/delta?$deltatoken=abc");
  expect(answer.graphNow?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
  expect(sent.map((r) => r.url)).toEqual(["https://graph.microsoft.us/v1.0/groups/delta?$deltatoken=abc"]);
  await expect(graph.call("GET", "https://evil.example/v1.0/groups/delta?$deltatoken=abc")).rejects.toThrow(
    /is not under https:\/\/graph\.microsoft\.us\/v1\.0/,
  );
  await expect(graph.call("GET", "https://graph.microsoft.us.evil.example/v1.0/x")).rejects.toThrow(/is not under/);
  expect(sent).toHaveLength(1);
});
