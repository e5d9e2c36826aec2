// Clients for the local HTTPS emulators in tests: a plain node https request (no SDK in the way) and a real Azure
// SDK pipeline (core-rest-pipeline, as every @azure client builds it) that trusts the emulator CA by client options.
import { request } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { keyVaultAuthenticationPolicy } from "@azure/keyvault-common";

export interface HttpsResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body as received (a binary download). */
  readonly bytes: Buffer;
  /** Parsed body, or undefined when the body is empty or not JSON. */
  readonly json: unknown;
}

export interface HttpsRequestOptions {
  readonly method?: string;
  /** PEM to trust; omitted means node's default roots only. */
  readonly ca?: string;
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is, for malformed bodies; wins over body. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function httpsRequest(url: string, options: HttpsRequestOptions = {}): Promise<HttpsResult> {
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const payload = text === undefined ? undefined : Buffer.from(text, "utf8");
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (payload !== undefined) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        headers,
        agent: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, bytes, json: parseJson(text) });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

function parseJson(text: string): unknown {
  try {
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** A credential that hands out a constant token and remembers what it was asked for. */
export class RecordingCredential implements TokenCredential {
  readonly requests: { scopes: string[]; tenantId: string | undefined }[] = [];

  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.requests.push({ scopes: typeof scopes === "string" ? [scopes] : [...scopes], tenantId: options?.tenantId });
    return Promise.resolve({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 });
  }
}

export interface SdkClientOptions {
  /** PEM trusted through tlsOptions; omitted means node's default roots only. */
  readonly ca?: string;
  readonly credential: TokenCredential;
  /** "challenge": Key Vault's own policy; "bearer": the ARM/Graph policy with a fixed scope. */
  readonly auth: "challenge" | "bearer";
  /** Retries of the SDK's retry policy; default 3 as the SDKs. */
  readonly maxRetries?: number;
}

export interface SdkResponse {
  readonly status: number;
  readonly headers: PipelineResponse["headers"];
  readonly json: unknown;
}

export type SdkSend = (method: "GET" | "PUT" | "POST" | "DELETE", url: string, body?: unknown) => Promise<SdkResponse>;

export function sdkClient(options: SdkClientOptions): SdkSend {
  const pipeline = createPipelineFromOptions({
    ...(options.ca === undefined ? {} : { tlsOptions: { ca: options.ca } }),
    retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: 1, maxRetryDelayInMs: 10 },
  });
  pipeline.addPolicy(
    options.auth === "challenge"
      ? keyVaultAuthenticationPolicy(options.credential, { disableChallengeResourceVerification: true })
      : bearerTokenAuthenticationPolicy({
          credential: options.credential,
          scopes: "https://management.azure.com/.default",
        }),
  );
  const httpClient = createDefaultHttpClient();
  return async (method, url, body) => {
    const request = createPipelineRequest({
      url,
      method,
      headers: createHttpHeaders(body === undefined ? {} : { "content-type": "application/json" }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const response = await pipeline.sendRequest(httpClient, request);
    return { status: response.status, headers: response.headers, json: parseJson(response.bodyAsText ?? "") };
  };
}
