// Typed access to one VPN gateway through @azure/arm-network: read its P2S certificate state, write it back as one
// full-object PUT guarded by the ETag, list and end P2S sessions. Errors are classified by status and ARM code.
import { NetworkManagementClient } from "@azure/arm-network";
import type { VirtualNetworkGateway } from "@azure/arm-network";
import { RestError } from "@azure/core-rest-pipeline";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { Config } from "../config";
import { tlsClientOptions } from "./azure-options";
import { getCredential } from "./credential";
import type { P2sCertificateState } from "../domain/gateway-config";

export type GatewayConfig = Pick<
  Config,
  "ARM_ENDPOINT" | "ARM_AUDIENCE" | "P2S_CREDENTIAL" | "AZURE_CLIENT_ID" | "P2S_TRUSTED_CA_FILE"
>;

export interface GatewayRef {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

export function parseGatewayId(id: string): GatewayRef {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworkGateways\/([^/]+)$/i.exec(
      id,
    );
  if (m === null) throw new Error(`not a virtualNetworkGateways resource id: ${id}`);
  return { id, subscriptionId: m[1] ?? "", resourceGroup: m[2] ?? "", name: m[3] ?? "" };
}

export interface GatewaySnapshot {
  readonly gateway: VirtualNetworkGateway;
  readonly etag: string | undefined;
  readonly state: P2sCertificateState;
  readonly provisioningState: string | undefined;
}

export interface VpnSession {
  readonly vpnConnectionId: string;
  readonly vpnUserName: string;
  readonly publicIpAddress?: string;
}

/** Why a gateway call failed, for the writer to decide: wait and retry, re-read, or stop and alert. */
export type GatewayFailureKind =
  | "busy"
  | "throttled"
  | "preconditionFailed"
  | "invalid"
  | "notFound"
  /** A long-running operation that was accepted and then ended Failed (its ARM code in `code`). */
  | "operationFailed"
  | "other";

export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    readonly kind: GatewayFailureKind,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

/** Where a write stands: still running (poll `operation` again) or done with the gateway as the PUT left it. */
export type WriteProgress =
  | { readonly state: "running"; readonly operation: string }
  | { readonly state: "done"; readonly snapshot: GatewaySnapshot };

/**
 * The ETag to send as If-Match on the gateway PUT only. The SDK reuses a call's custom headers for every poll of
 * its long-running operation and for the final GET, where the old ETag would no longer match once the write lands;
 * a pipeline policy turns this header into If-Match on the PUT and drops it from every other request.
 */
export const IF_MATCH_ON_PUT = "x-p2s-if-match-on-put";

export const ifMatchOnPutPolicy: PipelinePolicy = {
  name: "p2sIfMatchOnPut",
  sendRequest: (request, next) => {
    const etag = request.headers.get(IF_MATCH_ON_PUT);
    if (etag !== undefined) {
      request.headers.delete(IF_MATCH_ON_PUT);
      if (request.method === "PUT") request.headers.set("If-Match", etag);
    }
    return next(request);
  },
};

export interface GatewayClientOptions {
  /**
   * LRO polling interval until the gateway says otherwise: @azure/core-lro replaces it with the Retry-After of a
   * running poll, larger or smaller (Microsoft.Network sends 10 s); a Retry-After of 0 is ignored.
   */
  readonly pollIntervalMs?: number;
  /** Paces pollWrite (default the system clock); a seam for tests, which follow writes without waiting. */
  readonly clock?: PollClock;
}

export interface PollClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemPollClock: PollClock = { now: () => Date.now(), sleep };

/** How far one pollWrite call follows a write. */
export interface WritePollLimits {
  /** Polls at most, the first at once (the SDK polls when resuming), each later one after the SDK's delay. */
  readonly polls: number;
  /** The call never runs longer than this (a guard against the Functions timeout). */
  readonly maxMs: number;
}

export class GatewayClient {
  private readonly clients = new Map<string, NetworkManagementClient>();

  constructor(
    private readonly config: GatewayConfig,
    private readonly options: GatewayClientOptions = {},
  ) {}

  async read(ref: GatewayRef): Promise<GatewaySnapshot> {
    const gateway = await this.call(() => this.client(ref).virtualNetworkGateways.get(ref.resourceGroup, ref.name));
    return snapshot(gateway);
  }

  /**
   * Writes `next` into the gateway object read in `from` and waits for the long-running PUT (a hand edit, a test).
   * The writer itself uses beginWrite and pollWrite, so that no activity holds a PUT that runs for minutes.
   */
  async write(ref: GatewayRef, from: GatewaySnapshot, next: P2sCertificateState): Promise<GatewaySnapshot> {
    let progress = await this.beginWrite(ref, from, next);
    while (progress.state === "running") {
      progress = await this.pollWrite(ref, progress.operation, { polls: 6, maxMs: 5 * 60_000 });
    }
    return progress.snapshot;
  }

  /**
   * Sends the full-object PUT of `next` into the gateway object read in `from`, with the read's ETag as If-Match, so
   * an edit made since the read fails the write (preconditionFailed) instead of being lost. Returns the operation
   * to poll (a serialized poller: URLs only) or, when the gateway answered at once, the result.
   */
  async beginWrite(ref: GatewayRef, from: GatewaySnapshot, next: P2sCertificateState): Promise<WriteProgress> {
    const body = withP2sState(from.gateway, next);
    const headers = from.etag === undefined ? undefined : { [IF_MATCH_ON_PUT]: from.etag };
    return this.call(async () => {
      const poller = await this.client(ref).virtualNetworkGateways.beginCreateOrUpdate(
        ref.resourceGroup,
        ref.name,
        body,
        {
          updateIntervalInMs: this.pollIntervalMs(),
          ...(headers === undefined ? {} : { requestOptions: { customHeaders: headers } }),
        },
      );
      return progressOf(poller);
    });
  }

  /**
   * Follows a write begun by beginWrite for at most `limits.polls` polls, spaced as the SDK spaces them (the last
   * Retry-After, else the poll interval), and waits that delay once more before handing back, so the next call's
   * immediate poll keeps the gateway's pace: with Retry-After 10 s, six polls are one minute. A failed operation
   * throws GatewayError (busy when it failed AnotherOperationInProgress).
   */
  async pollWrite(ref: GatewayRef, operation: string, limits: WritePollLimits): Promise<WriteProgress> {
    const clock = this.options.clock ?? systemPollClock;
    const started = clock.now();
    let retryAfterMs: number | undefined;
    return this.call(async () => {
      // The body is not sent when resuming: the poller only polls the operation it was serialized from.
      const poller = await this.client(ref).virtualNetworkGateways.beginCreateOrUpdate(
        ref.resourceGroup,
        ref.name,
        {},
        {
          resumeFrom: operation,
          updateIntervalInMs: this.pollIntervalMs(),
          // Sees every poll's answer: the SDK keeps the last non-zero Retry-After as its delay (core-lro setDelay).
          onResponse: (raw) => {
            const ms = retryAfterHeaderMs(raw.headers.get("retry-after"));
            if (ms !== undefined && ms > 0) retryAfterMs = ms;
          },
        },
      );
      for (let polls = 1; !poller.isDone(); polls++) {
        const delayMs = retryAfterMs ?? this.pollIntervalMs();
        if (clock.now() - started + delayMs > limits.maxMs) break;
        await clock.sleep(delayMs);
        if (polls >= limits.polls) break;
        await poller.poll();
      }
      return progressOf(poller);
    });
  }

  async sessions(ref: GatewayRef): Promise<VpnSession[]> {
    const result = await this.call(() =>
      this.client(ref).virtualNetworkGateways.beginGetVpnclientConnectionHealthAndWait(ref.resourceGroup, ref.name, {
        updateIntervalInMs: this.pollIntervalMs(),
      }),
    );
    return (result.value ?? []).flatMap((s) =>
      s.vpnConnectionId === undefined || s.vpnUserName === undefined
        ? []
        : [
            {
              vpnConnectionId: s.vpnConnectionId,
              vpnUserName: s.vpnUserName,
              ...(s.publicIpAddress === undefined ? {} : { publicIpAddress: s.publicIpAddress }),
            },
          ],
    );
  }

  async disconnect(ref: GatewayRef, vpnConnectionIds: readonly string[]): Promise<void> {
    if (vpnConnectionIds.length === 0) return;
    await this.call(() =>
      this.client(ref).virtualNetworkGateways.beginDisconnectVirtualNetworkGatewayVpnConnectionsAndWait(
        ref.resourceGroup,
        ref.name,
        { vpnConnectionIds: [...vpnConnectionIds] },
        { updateIntervalInMs: this.pollIntervalMs() },
      ),
    );
  }

  /** Has the gateway generate its VPN client profile package (long-running) and answers the package's URL. */
  async generateVpnProfile(ref: GatewayRef): Promise<string> {
    const result = await this.call(() =>
      this.client(ref).virtualNetworkGateways.beginGenerateVpnProfileAndWait(
        ref.resourceGroup,
        ref.name,
        { authenticationMethod: "EAPTLS" },
        { updateIntervalInMs: this.pollIntervalMs() },
      ),
    );
    if (typeof result.body !== "string") throw new Error("generatevpnprofile answered no package URL");
    return result.body;
  }

  private pollIntervalMs(): number {
    return this.options.pollIntervalMs ?? 10_000;
  }

  private client(ref: GatewayRef): NetworkManagementClient {
    let client = this.clients.get(ref.subscriptionId);
    if (client === undefined) {
      client = new NetworkManagementClient(getCredential(this.config), ref.subscriptionId, {
        endpoint: this.config.ARM_ENDPOINT,
        credentialScopes: [this.config.ARM_AUDIENCE],
        ...tlsClientOptions(this.config),
      });
      client.pipeline.addPolicy(ifMatchOnPutPolicy);
      this.clients.set(ref.subscriptionId, client);
    }
    return client;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw classify(error);
    }
  }
}

interface GatewayPoller {
  isDone(): boolean;
  getResult(): VirtualNetworkGateway | undefined;
  toString(): string;
}

function progressOf(poller: GatewayPoller): WriteProgress {
  if (!poller.isDone()) return { state: "running", operation: poller.toString() };
  const result = poller.getResult();
  if (result === undefined) throw new Error("the gateway write ended without returning the gateway");
  return { state: "done", snapshot: snapshot(result) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function snapshot(gateway: VirtualNetworkGateway): GatewaySnapshot {
  const vpn = gateway.vpnClientConfiguration;
  return {
    gateway,
    etag: gateway.etag,
    provisioningState: gateway.provisioningState,
    state: {
      roots: (vpn?.vpnClientRootCertificates ?? []).map((r) => ({
        name: r.name ?? "",
        publicCertData: r.publicCertData,
      })),
      revoked: (vpn?.vpnClientRevokedCertificates ?? []).map((r) => ({
        name: r.name ?? "",
        thumbprint: r.thumbprint ?? "",
      })),
    },
  };
}

/** The full gateway object with only the P2S certificate lists replaced (the PUT replaces the whole resource). */
function withP2sState(gateway: VirtualNetworkGateway, next: P2sCertificateState): VirtualNetworkGateway {
  const vpn = gateway.vpnClientConfiguration ?? {};
  return {
    ...gateway,
    vpnClientConfiguration: {
      ...vpn,
      vpnClientRootCertificates: next.roots.map((r) => ({ name: r.name, publicCertData: r.publicCertData })),
      vpnClientRevokedCertificates: next.revoked.map((r) => ({ name: r.name, thumbprint: r.thumbprint })),
    },
  };
}

function classify(error: unknown): GatewayError {
  if (!(error instanceof RestError)) {
    const message = error instanceof Error ? error.message : String(error);
    // A long-running operation that ends "Failed" surfaces from @azure/core-lro as a plain Error whose message is
    // the only carrier of the ARM code ("The long-running operation has failed. <Code>. <message>"). Azure reports
    // AnotherOperationInProgress this way too (AzureTRE#2222), so it must be recognised here as well.
    const lroCode = /^The long-running operation has failed\. ([A-Za-z0-9_]+)\./.exec(message)?.[1];
    if (lroCode === "AnotherOperationInProgress") return new GatewayError("busy", 409, lroCode, message, undefined);
    if (lroCode !== undefined) return new GatewayError("operationFailed", undefined, lroCode, message, undefined);
    return new GatewayError("other", undefined, lroCode, message, undefined);
  }
  const status = error.statusCode;
  const code = error.code ?? armCode(error);
  const retryAfterMs = retryAfter(error);
  const message = `${status ?? "?"} ${code ?? ""}: ${error.message.split("\n")[0] ?? ""}`.trim();
  if (status === 409 && code === "AnotherOperationInProgress")
    return new GatewayError("busy", status, code, message, retryAfterMs);
  if (status === 429 || status === 503) return new GatewayError("throttled", status, code, message, retryAfterMs);
  if (status === 412) return new GatewayError("preconditionFailed", status, code, message, retryAfterMs);
  if (status === 404) return new GatewayError("notFound", status, code, message, retryAfterMs);
  if (status === 400) return new GatewayError("invalid", status, code, message, retryAfterMs);
  if (status === 409) return new GatewayError("busy", status, code, message, retryAfterMs);
  return new GatewayError("other", status, code, message, retryAfterMs);
}

function armCode(error: RestError): string | undefined {
  const body = error.details as { error?: { code?: unknown } } | undefined;
  return typeof body?.error?.code === "string" ? body.error.code : undefined;
}

function retryAfter(error: RestError): number | undefined {
  return retryAfterHeaderMs(error.response?.headers.get("retry-after"));
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds. */
function retryAfterHeaderMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Probes ARM reachability for every configured gateway (health check). */
export async function probeGateways(config: GatewayConfig & Pick<Config, "GATEWAY_RESOURCE_IDS">): Promise<string> {
  const client = new GatewayClient(config);
  const names: string[] = [];
  for (const id of config.GATEWAY_RESOURCE_IDS) {
    const ref = parseGatewayId(id);
    await client.read(ref);
    names.push(ref.name);
  }
  return names.length === 0 ? "no gateway configured" : `read ${names.join(", ")}`;
}
