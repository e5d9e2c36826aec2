// The critical alert of a gateway whose revocation list is over capacity: which revocations were left off (they
// expire soonest), whose they are, and which root rotation will clear them (a rotation retires the root that issued
// them, and every revocation of that root leaves the gateways). Raised once per distinct left-off set. Pure.
import { createHash } from "node:crypto";
import type { LeftOffRevocation } from "./gateway-config";
import { MAX_REVOKED_CERTIFICATES } from "./gateway-config";

/** Left-off entries named in the alert's text; the rest are counted. */
export const NAMED_IN_ALERT = 20;

/** What the capacity policy did about a rotation (rotationForCapacity). */
export interface CapacityRotation {
  /** ROOT_ROTATION_AUTO. */
  readonly auto: boolean;
  /** started: this call started one; running: one was running (joined); none: none runs; failed: could not tell. */
  readonly state: "started" | "running" | "none" | "failed";
  readonly requestId?: string;
  readonly step?: string;
  readonly detail?: string;
}

/** The alert as raiseAlert takes it (src/clients/alerts.ts). */
export interface CapacityAlert {
  readonly key: string;
  readonly severity: "critical";
  readonly kind: "capacity";
  readonly title: string;
  readonly detail: string;
  readonly subject: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** One key per gateway and distinct set of left-off thumbprints: the same set alerts once, a new one again. */
export function leftOffKey(gatewayId: string, leftOff: readonly LeftOffRevocation[]): string {
  const set = [...new Set(leftOff.map((l) => l.thumbprint.toUpperCase()))].sort().join(",");
  const digest = createHash("sha256").update(set).digest("hex").slice(0, 32);
  return `capacity-left-off:${gatewayId.toLowerCase()}:${digest}`;
}

/** Which rotation will clear what is left off (`what`), or how to start one. */
export function describeRotation(rotation: CapacityRotation, what = "them"): string {
  const step = rotation.step === undefined ? "" : ` (now at step ${rotation.step})`;
  switch (rotation.state) {
    case "started":
      return `root rotation ${rotation.requestId ?? "?"} was started by the capacity policy (ROOT_ROTATION_AUTO) and clears ${what} when it retires the current root`;
    case "running":
      return `root rotation ${rotation.requestId ?? "?"}${step} clears ${what} when it retires the old root`;
    case "none":
      return rotation.auto
        ? "no root rotation runs; the capacity policy will start one (ROOT_ROTATION_AUTO)"
        : "no root rotation runs: start one (POST /api/v1/roots/rotations, role Roots.Rotate) or set ROOT_ROTATION_AUTO=true so one starts by itself";
    case "failed":
      return `whether a root rotation runs is not known (${rotation.detail ?? "unknown error"}): check GET /api/v1/roots and start one (POST /api/v1/roots/rotations) if none runs`;
  }
}

export function leftOffAlert(input: {
  readonly gatewayId: string;
  readonly gatewayName: string;
  readonly leftOff: readonly LeftOffRevocation[];
  /** UPN (lower case) by thumbprint, where the ledger knows it. */
  readonly users: Readonly<Record<string, string>>;
  readonly rotation: CapacityRotation;
}): CapacityAlert {
  const { leftOff, users, rotation } = input;
  // Unknown expiry ranks last (as valid longest). ISO dates compare by code unit; localeCompare would put "~" first.
  const expiry = (l: LeftOffRevocation): string => l.notAfter ?? "~";
  const bySoonest = [...leftOff].sort((a, b) => (expiry(a) < expiry(b) ? -1 : expiry(a) > expiry(b) ? 1 : 0));
  const named = bySoonest.slice(0, NAMED_IN_ALERT).map((l) => {
    const upn = users[l.thumbprint] ?? "user unknown to the ledger";
    return `${l.thumbprint} (${upn}, expires ${l.notAfter ?? "unknown"})`;
  });
  const more = leftOff.length > NAMED_IN_ALERT ? `, and ${leftOff.length - NAMED_IN_ALERT} more` : "";
  const latest = bySoonest.at(-1)?.notAfter;
  return {
    key: leftOffKey(input.gatewayId, leftOff),
    severity: "critical",
    kind: "capacity",
    title: `Gateway ${input.gatewayName}: ${leftOff.length} revocations do not fit on the gateway`,
    detail:
      `The gateway holds at most ${MAX_REVOKED_CERTIFICATES} revoked certificates. The writer keeps writing: it wrote ` +
      `the entries that stay valid longest and left off the ${leftOff.length} that expire soonest. Until they expire ` +
      `or their root is retired, these certificates can still connect: ${named.join(", ")}${more}. ` +
      `${capitalise(describeRotation(rotation))}.`,
    subject: input.gatewayId,
    details: {
      leftOff: leftOff.length,
      soonest: bySoonest[0]?.notAfter ?? "",
      latest: latest ?? "",
      rotation: rotation.state,
      rotationRequestId: rotation.requestId ?? "",
      auto: rotation.auto,
    },
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
