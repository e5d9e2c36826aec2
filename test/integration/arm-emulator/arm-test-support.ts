// Shared set-up for the ARM emulator tests: the real NetworkManagementClient pointed at the emulator, raw HTTPS for
// shapes the SDK cannot send, and RSA/EC root certificates generated at test time (never committed).
import "reflect-metadata";
import { request } from "node:https";
import { randomBytes, webcrypto } from "node:crypto";
import { unzipSync } from "fflate";
import * as x509 from "@peculiar/x509";
import { NetworkManagementClient } from "@azure/arm-network";
import type { AccessToken, TokenCredential } from "@azure/identity";
import type { EmulatorCa } from "../../../dev/emulators/framework";

export const SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000001";
export const RESOURCE_GROUP = "rg-net";
export const GATEWAY_NAME = "vgw-hub";
export const GATEWAY_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/virtualNetworkGateways/${GATEWAY_NAME}`;
export const API_VERSION = "2024-05-01";
/** Pollers check every 10 ms so operations end as soon as the emulator says so. */
export const FAST_POLL = { updateIntervalInMs: 10 } as const;

const staticCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: "test-token", expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }),
};

export function networkClient(url: string, ca: EmulatorCa): NetworkManagementClient {
  return new NetworkManagementClient(staticCredential, SUBSCRIPTION_ID, {
    endpoint: url,
    credentialScopes: ["https://management.azure.com/.default"],
    tlsOptions: { ca: ca.certPem },
    // Only 5xx retries would wait; keep them short. 429 retries follow Retry-After.
    retryOptions: { retryDelayInMs: 1, maxRetryDelayInMs: 5 },
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): unknown;
}

/** A bare HTTPS call (bearer token included unless `anonymous`), for bodies the SDK would reshape. */
export function rawRequest(
  ca: EmulatorCa,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
  anonymous = false,
): Promise<RawResponse> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
  const allHeaders: Record<string, string> = { ...headers };
  if (!anonymous) allHeaders["authorization"] = "Bearer test-token";
  if (payload !== undefined) {
    allHeaders["content-type"] = "application/json";
    allHeaders["content-length"] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: ca.certPem, headers: allHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const data = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: data,
          json: () => JSON.parse(data.toString("utf8")) as unknown,
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** The gateway's URL; `null` leaves out the api-version. */
export function gatewayUrl(baseUrl: string, apiVersion: string | null = API_VERSION): string {
  return `${baseUrl}${GATEWAY_ID}${apiVersion === null ? "" : `?api-version=${apiVersion}`}`;
}

/** Self-signed roots from one small key per factory: distinct certificates, fast to make. */
export class RootCertificates {
  private constructor(
    private readonly rsaKeys: webcrypto.CryptoKeyPair,
    private readonly ecKeys: webcrypto.CryptoKeyPair,
  ) {}

  static async create(): Promise<RootCertificates> {
    const rsa = await webcrypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
      false,
      ["sign", "verify"],
    );
    const ec = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    return new RootCertificates(rsa, ec);
  }

  /** Base64 of the DER certificate on one line: what the gateway accepts as publicCertData. */
  async rsaRoot(commonName: string): Promise<string> {
    return (await this.selfSigned(commonName, this.rsaKeys, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" })).toString(
      "base64",
    );
  }

  /** An RSA root valid from `notBefore` to `notAfter` (an expired one, for instance). */
  async rsaRootValid(commonName: string, notBefore: Date, notAfter: Date): Promise<string> {
    const signing = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return (await this.selfSigned(commonName, this.rsaKeys, signing, { notBefore, notAfter })).toString("base64");
  }

  async rsaRootPem(commonName: string): Promise<string> {
    return (await this.selfSigned(commonName, this.rsaKeys, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" })).toString(
      "pem",
    );
  }

  async ecRoot(commonName: string): Promise<string> {
    return (await this.selfSigned(commonName, this.ecKeys, { name: "ECDSA", hash: "SHA-256" })).toString("base64");
  }

  private async selfSigned(
    commonName: string,
    keys: webcrypto.CryptoKeyPair,
    signingAlgorithm: { name: string; hash: string },
    validity?: { notBefore: Date; notAfter: Date },
  ): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: `01${randomBytes(8).toString("hex")}`,
        name: `CN=${commonName}`,
        notBefore: validity?.notBefore ?? new Date(Date.now() - 60_000),
        notAfter: validity?.notAfter ?? new Date(Date.now() + 86_400_000),
        keys,
        signingAlgorithm,
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
      },
      webcrypto,
    );
  }
}

/** A SHA-1 thumbprint-shaped hex string, distinct per index. */
export function thumbprint(index: number): string {
  return index.toString(16).toUpperCase().padStart(40, "A");
}

/** Entries of a profile package zip, read with fflate (which checks the format), as text. */
export function readStoredZip(zip: Buffer): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [name, data] of Object.entries(unzipSync(zip))) entries.set(name, Buffer.from(data).toString("utf8"));
  return entries;
}
