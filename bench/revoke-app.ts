// The app's side of bench:revoke, on the sandbox, in two forms. "marks": the burst is the revocations themselves,
// each a ledger mark (what the offboarding's markUserRevoked does) followed by a writer request through the app's own
// gatewayReconcile function. "offboarding": each revocation is a POST /api/v1/users/{upn}/revocations, so the marks
// land as fast as the local host runs 300 offboarding orchestrations. Both are timed until every revocation is on
// the gateway, then until the writer sleeps again.
import { GatewayClient, parseGatewayId } from "../src/clients/gateway";
import { Ledger } from "../src/clients/ledger";
import { getConfig } from "../src/config";
import type { CertificateRecord } from "../src/domain/ledger";
import { gatewayWriterInstanceId } from "../src/domain/gateway-writer-id";
import type { LocalDurableBackend } from "../dev/durable";
import type { Sandbox } from "../dev/sandbox/sandbox";
import { armCounts, burst, randomThumbprint, sleep } from "./revoke-support";
import type { RunFigures } from "./revoke-support";

const DAY_MS = 24 * 60 * 60 * 1000;

export type AppBurst = "marks" | "offboarding";

export interface AppFigures extends RunFigures {
  /** When the last ledger mark of the burst was made, from the first request. */
  readonly lastMarkMs: number;
}

export class AppBench {
  private readonly gatewayId: string;
  private readonly durable: LocalDurableBackend;
  private readonly ledger: Ledger;
  private readonly gateways: GatewayClient;
  private runs = 0;

  constructor(private readonly sandbox: Sandbox) {
    this.gatewayId = sandbox.endpoints.gatewayIds[0] ?? "";
    const durable = sandbox.host.durable as LocalDurableBackend | undefined;
    if (durable === undefined) throw new Error("the sandbox host has no durable backend");
    this.durable = durable;
    const config = getConfig();
    this.ledger = Ledger.fromConfig(config);
    this.gateways = new GatewayClient(config, { pollIntervalMs: 100 });
  }

  async run(mode: AppBurst, count: number, burstMs: number): Promise<AppFigures> {
    this.runs++;
    const records = await this.activeCertificates(count);
    await this.writerAsleep();
    const before = armCounts(this.sandbox.arm, this.gatewayId);

    const started = performance.now();
    const startedAt = Date.now();
    await burst(records, burstMs, (record, i) =>
      mode === "marks" ? this.markAndRequest(record) : this.offboard(record, i),
    );
    const wanted = new Set(records.map((r) => r.thumbprint ?? ""));
    const ref = parseGatewayId(this.gatewayId);
    for (;;) {
      const snapshot = await this.gateways.read(ref);
      const present = snapshot.state.revoked.filter((r) => wanted.has(r.thumbprint.toUpperCase())).length;
      if (present === wanted.size && snapshot.provisioningState === "Succeeded") break;
      await sleep(50);
    }
    const wallMs = performance.now() - started;
    await this.writerAsleep();
    const settledMs = performance.now() - started;
    const after = armCounts(this.sandbox.arm, this.gatewayId);

    const marked = (await this.ledger.listByStatus("revoked")).filter((r) => wanted.has(r.thumbprint ?? ""));
    const lastMarkMs = Math.max(...marked.map((r) => (r.revokedAt?.getTime() ?? startedAt) - startedAt));
    const onGateway = (await this.gateways.read(ref)).state.revoked.filter((r) =>
      wanted.has(r.thumbprint.toUpperCase()),
    ).length;
    return {
      revocations: count,
      writes: after.writes - before.writes,
      refusals: after.refusals - before.refusals,
      wallMs,
      settledMs,
      onGateway,
      lastMarkMs,
    };
  }

  /**
   * Lets the previous run's revocations expire (notAfter passed) and has the writer prune them, outside any timing,
   * so the next run starts from an empty list and the gateway's 300 is never exceeded.
   */
  async expireRevocations(): Promise<void> {
    const revoked = await this.ledger.listByStatus("revoked");
    // Past GATEWAY_PRUNE_MARGIN_HOURS (a day by default): only then does the writer prune an expired revocation.
    const past = new Date(Date.now() - 2 * DAY_MS);
    for (let i = 0; i < revoked.length; i += 25) {
      await Promise.all(
        revoked
          .slice(i, i + 25)
          .map((r) => this.ledger.putCertificate({ ...r, notAfter: past, updatedAt: new Date() })),
      );
    }
    await this.requestWriter();
    await this.sandbox.host.idle();
    await this.writerAsleep();
  }

  private async activeCertificates(count: number): Promise<CertificateRecord[]> {
    const now = new Date();
    const records = Array.from({ length: count }, (_, i): CertificateRecord => {
      const upn = `bench${String(this.runs)}-user-${String(i).padStart(3, "0")}@contoso.com`;
      return {
        userKey: upn,
        upn,
        certificateName: `bench${String(this.runs)}-${String(i)}`,
        status: "active",
        requestId: `BENCH-${String(this.runs)}-${String(i)}`,
        source: "api",
        sourceId: `BENCH-${String(this.runs)}-${String(i)}`,
        thumbprint: randomThumbprint(),
        notBefore: new Date(now.getTime() - DAY_MS),
        notAfter: new Date(now.getTime() + 30 * DAY_MS),
        updatedAt: now,
      };
    });
    for (let i = 0; i < records.length; i += 25) {
      await Promise.all(records.slice(i, i + 25).map((r) => this.ledger.putCertificate(r)));
    }
    return records;
  }

  private async markAndRequest(record: CertificateRecord): Promise<void> {
    const at = new Date();
    await this.ledger.putCertificate({
      ...record,
      status: "revoked",
      revokedAt: at,
      revocationReason: "bench:revoke",
      updatedAt: at,
    });
    await this.requestWriter();
  }

  private async offboard(record: CertificateRecord, i: number): Promise<void> {
    const { host, functionKey, adminToken } = this.sandbox.endpoints;
    const response = await fetch(`${host}/api/v1/users/${encodeURIComponent(record.upn)}/revocations`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-functions-key": functionKey,
        authorization: `Bearer ${adminToken}`,
      },
      body: JSON.stringify({ requestId: `BENCH-LEAVER-${String(this.runs)}-${String(i)}`, reason: "bench:revoke" }),
    });
    if (response.status !== 202) throw new Error(`offboarding ${record.upn} answered ${String(response.status)}`);
  }

  /** Starts or wakes the writer the way the app does, through its gatewayReconcile function (admin API). */
  private async requestWriter(): Promise<void> {
    const { host, masterKey } = this.sandbox.endpoints;
    const response = await fetch(`${host}/admin/functions/gatewayReconcile`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-functions-key": masterKey },
      body: JSON.stringify({ input: "" }),
    });
    if (response.status !== 202) throw new Error(`gatewayReconcile answered ${String(response.status)}`);
  }

  private async writerAsleep(): Promise<void> {
    const writerId = gatewayWriterInstanceId(this.gatewayId);
    for (;;) {
      await this.sandbox.host.idle();
      const status = this.durable.inspect(writerId)?.customStatus as { state?: unknown } | null | undefined;
      if (status?.state === "waiting") return;
      await sleep(50);
    }
  }
}
