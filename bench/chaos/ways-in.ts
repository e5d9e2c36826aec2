// Each way in of the chaos mix, as the outside world uses it: signed tickets (POST /api/v1/requests), HR events on
// the storage queue, Entra changes in the emulated directory (whose notifications reach the app), and a user's own
// CSR (POST /api/v1/me/certificates), a root rotation (POST /api/v1/roots/rotations). The directory follows the joiners and leavers as an organisation's does: an
// onboarding adds the user to the VPN group (enabled), an offboarding takes them out, so no way in contradicts another.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { QueueClient } from "@azure/storage-queue";
import { Ledger } from "../../src/clients/ledger";
import { getConfig } from "../../src/config";
import { lifecycleInstanceId } from "../../src/domain/lifecycle";
import { publicRequestId } from "../../src/domain/requests";
import type { DeliveryCollector } from "./collector";
import type { SandboxApi } from "./http";
import { ROOT_ROTATION } from "./plan";
import type { PlannedRequest } from "./plan";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How one planned request went at the edge: accepted (something started) or refused, and why. */
export interface WayOutcome {
  readonly accepted: boolean;
  readonly detail: string;
  /** Whether the driver saw it through (ended, or delivered) before its deadline. */
  readonly settled: boolean;
}

export interface WayContext {
  readonly api: SandboxApi;
  readonly hrQueue: QueueClient;
  readonly collector: DeliveryCollector;
  readonly runId: string;
  /** How long the driver follows one request before moving on to the user's next. */
  readonly followMs: number;
  /** The plan's root rotations (by index) the run cancels right after starting them. */
  readonly cancelRotations: ReadonlySet<number>;
  /** Increasing HR occurredAt times. */
  occurredAt(): string;
}

type Way = (ctx: WayContext, planned: PlannedRequest) => Promise<WayOutcome>;

const refused = (status: number, text: string): WayOutcome => ({
  accepted: false,
  detail: `${String(status)} ${text.slice(0, 160)}`,
  settled: true,
});

/** Follows a request until it ends or its delivery was downloaded; false when the deadline passed first. */
async function follow(ctx: WayContext, requestId: string): Promise<boolean> {
  const deadline = Date.now() + ctx.followMs;
  while (Date.now() < deadline) {
    if (ctx.collector.downloaded.has(requestId) || ctx.collector.lost.has(requestId)) return true;
    const view = await ctx.api.admin("GET", `/api/v1/requests/${requestId}`).catch(() => undefined);
    if (view?.json.status === "succeeded" || view?.json.status === "failed") return true;
    await sleep(400);
  }
  return false;
}

/** Waits until the ledger shows what a directory change should bring about. */
async function ledgerShows(ctx: WayContext, upn: string, wanted: "active" | "none-active"): Promise<boolean> {
  const ledger = Ledger.fromConfig(getConfig());
  const deadline = Date.now() + ctx.followMs;
  while (Date.now() < deadline) {
    const records = await ledger.listUserCertificates(upn.toLowerCase()).catch(() => undefined);
    if (records !== undefined) {
      const live = records.some((r) => r.status === "active" || r.status === "issuing");
      if (wanted === "none-active" ? !live : records.some((r) => r.status === "active")) return true;
    }
    await sleep(500);
  }
  return false;
}

const joins = (ctx: WayContext, upn: string) => ctx.api.directory({ upn, member: true, accountEnabled: true });
const leaves = (ctx: WayContext, upn: string) => ctx.api.directory({ upn, member: false });

function ticket(action: "onboard" | "offboard" | "reissue"): Way {
  return async (ctx, { index, user }) => {
    if (action === "onboard") await joins(ctx, user);
    const answer = await ctx.api.ticket({
      action,
      upn: user,
      ticketId: `CHAOS-${ctx.runId}-${String(index)}`,
      requestedBy: "chaos",
      reason: `chaos ${action}`,
    });
    if (action === "offboard") await leaves(ctx, user);
    if (answer.status !== 202) return refused(answer.status, answer.text);
    return { accepted: true, detail: "202", settled: await follow(ctx, String(answer.json.requestId)) };
  };
}

function hr(type: "hire" | "rehire" | "termination"): Way {
  return async (ctx, { index, user }) => {
    const eventId = `CHAOS-${ctx.runId}-HR-${String(index)}`;
    if (type !== "termination") await joins(ctx, user);
    const message = JSON.stringify({ eventId, type, upn: user, occurredAt: ctx.occurredAt() });
    await ctx.hrQueue.sendMessage(Buffer.from(message, "utf8").toString("base64"));
    if (type === "termination") await ctx.api.directory({ upn: user, accountEnabled: false });
    const action = type === "termination" ? "offboard" : "onboard";
    const requestId = publicRequestId(lifecycleInstanceId({ source: "hr", sourceKey: eventId, action, upn: user }));
    return { accepted: true, detail: "queued", settled: await follow(ctx, requestId) };
  };
}

function entra(change: "join" | "leave" | "disable"): Way {
  return async (ctx, { user }) => {
    const answer =
      change === "join"
        ? await joins(ctx, user)
        : change === "leave"
          ? await leaves(ctx, user)
          : await ctx.api.directory({ upn: user, accountEnabled: false });
    if (answer.status >= 300) return refused(answer.status, answer.text);
    const settled = await ledgerShows(ctx, user, change === "join" ? "active" : "none-active");
    return { accepted: true, detail: `directory ${change}`, settled };
  };
}

/** A device's new RSA key (it never leaves the device) and a CSR for it, as a VPN client makes them. */
async function deviceCsr(upn: string): Promise<string> {
  const algorithm = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${upn}`,
    keys,
    signingAlgorithm: algorithm,
  });
  return csr.toString("pem");
}

const selfService: Way = async (ctx, { user }) => {
  const answer = await ctx.api.asUser(user, "POST", "/api/v1/me/certificates", { csr: await deviceCsr(user) });
  if (answer.status === 201) return { accepted: true, detail: "201", settled: true };
  if (answer.status !== 202) return refused(answer.status, answer.text);
  return { accepted: true, detail: "202", settled: await follow(ctx, String(answer.json.requestId)) };
};

/**
 * A root rotation (POST /api/v1/roots/rotations, role Roots.Rotate). One that runs to the end is not followed (it waits
 * out its grace period, which the run's clock moves past at its end); one the plan cancels is cancelled at once, unless
 * the start joined a running rotation, and followed to its end.
 */
const rootRotation: Way = async (ctx, { index }) => {
  const answer = await ctx.api.admin("POST", "/api/v1/roots/rotations", { reason: `chaos rotation ${String(index)}` });
  if (answer.status !== 202) return refused(answer.status, answer.text);
  const requestId = String(answer.json.requestId);
  const joined = answer.json.joined === "true";
  if (joined || !ctx.cancelRotations.has(index)) {
    return { accepted: true, detail: `202 ${joined ? "joined" : "started"} ${requestId}`, settled: true };
  }
  const cancel = await ctx.api.admin("POST", `/api/v1/roots/rotations/${requestId}/cancel`, { reason: "chaos" });
  if (cancel.status !== 202) return { accepted: true, detail: `cancel ${String(cancel.status)}`, settled: true };
  return { accepted: true, detail: `202 started and cancelled ${requestId}`, settled: await follow(ctx, requestId) };
};

/** The ways in by mix entry name (plan.ts's MIX). */
export const WAYS: Readonly<Record<string, Way>> = {
  "ticket onboard": ticket("onboard"),
  "ticket reissue": ticket("reissue"),
  "ticket offboard": ticket("offboard"),
  "HR hire": hr("hire"),
  "HR rehire": hr("rehire"),
  "HR termination": hr("termination"),
  "Entra group join": entra("join"),
  "Entra group leave": entra("leave"),
  "Entra account disabled": entra("disable"),
  "self-service CSR": selfService,
  [ROOT_ROTATION]: rootRotation,
};
