// One approach of bench:lifecycle on the sandbox: onboard then offboard a set of users through POST /api/v1/requests
// (signed as a ticketing system signs), either as a ticketing system's burst ("app": every ticket sent within a
// second, the app runs them at once) or one at a time ("naive": each ticket sent once the previous one finished).
import { GatewayClient, parseGatewayId } from "../src/clients/gateway";
import { Ledger } from "../src/clients/ledger";
import { getConfig } from "../src/config";
import { signedHeaders } from "../src/domain/request-signature";
import { gatewayWriterInstanceId } from "../src/domain/gateway-writer-id";
import type { LocalDurableBackend } from "../dev/durable";
import type { Sandbox } from "../dev/sandbox/sandbox";
import { armCounts, burst, sleep } from "./revoke-support";

export type Approach = "app" | "naive";
export type Action = "onboard" | "offboard";

export interface PhaseFigures {
  readonly action: Action;
  readonly requests: number;
  readonly succeeded: number;
  /** First ticket sent → every request finished (offboard: and every revocation on the gateway). */
  readonly wallMs: number;
  /** Gateway PUTs that succeeded during the phase. */
  readonly gatewayWrites: number;
  /** Gateway PUTs the busy gateway refused (409 or a failed operation). */
  readonly gatewayRefusals: number;
  /** 429 answers of the Key Vault emulator during the phase. */
  readonly keyVaultThrottled: number;
}

interface RequestView {
  readonly status?: string;
  readonly step?: string | null;
  readonly thumbprint?: string;
  readonly error?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** An onboarding waiting for its certificate to be collected has done its part: the certificate exists. */
const DONE_STEPS = new Set(["awaiting-collection"]);

export class LifecycleBench {
  private readonly gatewayId: string;
  private readonly durable: LocalDurableBackend;
  private readonly ledger: Ledger;
  private readonly gateways: GatewayClient;

  constructor(private readonly sandbox: Sandbox) {
    this.gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
    const durable = sandbox.host.durable as LocalDurableBackend | undefined;
    if (durable === undefined) throw new Error("the sandbox host has no durable backend");
    this.durable = durable;
    const config = getConfig();
    this.ledger = Ledger.fromConfig(config);
    this.gateways = new GatewayClient(config, { pollIntervalMs: 100 });
  }

  /** Runs one phase for `upns`; throws when any request fails (the bench demands that all succeed). */
  async phase(approach: Approach, action: Action, upns: readonly string[]): Promise<PhaseFigures> {
    await this.writerAsleep();
    const arm = armCounts(this.sandbox.arm, this.gatewayId);
    const throttledBefore = this.keyVaultThrottled();
    const started = performance.now();
    const ticket = (upn: string): Promise<void> => this.runTicket(action, upn, `${approach.toUpperCase()}-${action}`);
    if (approach === "naive") {
      for (const upn of upns) await ticket(upn);
    } else {
      await burst(upns, 1000, (upn) => ticket(upn));
    }
    if (action === "offboard") await this.revokedOnGateway(upns);
    const wallMs = performance.now() - started;
    const after = armCounts(this.sandbox.arm, this.gatewayId);
    return {
      action,
      requests: upns.length,
      succeeded: upns.length,
      wallMs,
      gatewayWrites: after.writes - arm.writes,
      gatewayRefusals: after.refusals - arm.refusals,
      keyVaultThrottled: this.keyVaultThrottled() - throttledBefore,
    };
  }

  /**
   * Lets this approach's revocations expire and has the writer prune them, outside any timing, so the next approach
   * starts from an empty list (a gateway holds at most 300 revocations).
   */
  async pruneRevocations(): Promise<void> {
    await this.writerAsleep();
    const revoked = await this.ledger.listByStatus("revoked");
    const past = new Date(Date.now() - 2 * DAY_MS);
    for (let i = 0; i < revoked.length; i += 25) {
      await Promise.all(
        revoked
          .slice(i, i + 25)
          .map((r) => this.ledger.putCertificate({ ...r, notAfter: past, updatedAt: new Date() })),
      );
    }
    const { host, masterKey } = this.sandbox.endpoints;
    const response = await fetch(`${host}/admin/functions/gatewayReconcile`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": masterKey },
      body: JSON.stringify({ input: "" }),
    });
    if (response.status !== 202) throw new Error(`gatewayReconcile answered ${String(response.status)}`);
    await sleep(500);
    await this.writerAsleep();
  }

  /** Sends one signed ticket and waits until its request has finished. */
  private async runTicket(action: Action, upn: string, ticketPrefix: string): Promise<void> {
    const { host, functionKey, ticketSecret } = this.sandbox.endpoints;
    const ticketId = `${ticketPrefix}-${upn.split("@")[0] ?? upn}`;
    const body = JSON.stringify({ action, upn, ticketId, reason: `bench:lifecycle ${action}` });
    const response = await fetch(`${host}/api/v1/requests`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-functions-key": functionKey,
        ...signedHeaders(ticketSecret, body, Date.now()),
      },
      body,
    });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`${action} ${upn} answered ${String(response.status)}: ${text}`);
    const { requestId } = JSON.parse(text) as { requestId: string };
    await this.finished(requestId, `${action} ${upn}`);
  }

  private async finished(requestId: string, what: string): Promise<void> {
    const { host, functionKey, adminToken } = this.sandbox.endpoints;
    const deadline = Date.now() + 15 * 60_000;
    for (let wait = 50; ; wait = Math.min(1000, wait * 2)) {
      const response = await fetch(`${host}/api/v1/requests/${requestId}`, {
        headers: { "x-functions-key": functionKey, authorization: `Bearer ${adminToken}` },
      });
      const view = (await response.json()) as RequestView;
      if (view.status === "succeeded" || DONE_STEPS.has(view.step ?? "")) return;
      if (view.status === "failed") throw new Error(`${what} failed: ${view.error ?? "no reason"}`);
      if (Date.now() > deadline) throw new Error(`${what} still ${String(view.status)} after 15 min`);
      await sleep(wait);
    }
  }

  /** Waits until every certificate of these users is revoked on the gateway and the writer sleeps again. */
  private async revokedOnGateway(upns: readonly string[]): Promise<void> {
    const thumbprints = new Set<string>();
    for (const upn of upns) {
      for (const record of await this.ledger.listUserCertificates(upn.toLowerCase())) {
        if (record.status !== "revoked")
          throw new Error(`${upn}: certificate ${record.certificateName} is ${record.status}`);
        if (record.thumbprint !== undefined) thumbprints.add(record.thumbprint.toUpperCase());
      }
    }
    if (thumbprints.size < upns.length) throw new Error(`only ${String(thumbprints.size)} certificates to revoke`);
    const ref = parseGatewayId(this.gatewayId);
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const snapshot = await this.gateways.read(ref);
      const present = snapshot.state.revoked.filter((r) => thumbprints.has(r.thumbprint.toUpperCase())).length;
      if (present === thumbprints.size && snapshot.provisioningState === "Succeeded") break;
      if (Date.now() > deadline)
        throw new Error(`${String(present)}/${String(thumbprints.size)} revoked on the gateway`);
      await sleep(100);
    }
    await this.writerAsleep();
  }

  private keyVaultThrottled(): number {
    return Object.values(this.sandbox.keyVault.stats.get()).reduce((sum, op) => sum + op.throttled, 0);
  }

  private async writerAsleep(): Promise<void> {
    const writerId = gatewayWriterInstanceId(this.gatewayId);
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      await this.sandbox.host.idle();
      const status = this.durable.inspect(writerId)?.customStatus as { state?: unknown } | null | undefined;
      if (status === undefined || status?.state === "waiting") return;
      if (Date.now() > deadline) throw new Error("the gateway writer did not go back to sleep");
      await sleep(50);
    }
  }
}
