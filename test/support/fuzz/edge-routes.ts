// The fuzz arbitrary of every HTTP route the app registers, keyed "METHOD route" as the host registers it. The
// coverage guard (test/unit/fuzzed-edge-coverage.test.ts) fails when a registered route has no entry here, so a route
// added later must bring its arbitrary; the fuzzed edge (test/e2e/fuzzed-edge.test.ts) runs each one.
import fc from "fast-check";
import { SANDBOX_USER_UPN } from "../../../dev/sandbox/sandbox-identity";
import {
  authForm,
  bodySpec,
  CLIENT_STATE_MARK,
  extraHeaders,
  functionKey,
  literal,
  noSignature,
  queryPairs,
  segment,
  signatureSpec,
  tokenSpec,
} from "./edge-request";
import type { BodySpec, EdgeRequest, Segment, SignatureSpec, TokenSpec } from "./edge-request";
import { hostileId, hostileString, hostileTime, hostileUpn, plausibleUpn, unknownPublicId } from "./hostile-text";

/** What some arbitraries need made beforehand (CSRs are made by openssl once per run). */
export interface EdgeFixtures {
  /** PEM CSRs: one the sandbox user may send, and ones that must be refused (another user, a small key). */
  readonly csrs: readonly string[];
  readonly nowMs: number;
}

interface RouteShape {
  readonly method: string;
  readonly segments: fc.Arbitrary<readonly Segment[]>;
  readonly query?: readonly string[];
  readonly body?: fc.Arbitrary<BodySpec>;
  readonly signature?: fc.Arbitrary<SignatureSpec>;
  readonly token?: fc.Arbitrary<TokenSpec>;
}

function route(shape: RouteShape): fc.Arbitrary<EdgeRequest> {
  return fc.record({
    method: fc.constant(shape.method),
    segments: shape.segments,
    query: queryPairs(shape.query ?? []),
    headers: extraHeaders,
    key: functionKey,
    token: shape.token ?? tokenSpec,
    authForm,
    signature: shape.signature ?? noSignature,
    body: shape.body ?? fc.constant<BodySpec>({ kind: "none" }),
  });
}

const fixed = (...parts: string[]): fc.Arbitrary<readonly Segment[]> => fc.constant(parts.map(literal));

/** Literal parts with `{param}` placeholders filled from `params`, in order. */
function path(template: string, ...params: fc.Arbitrary<string>[]): fc.Arbitrary<readonly Segment[]> {
  const parts = template.split("/");
  const holes = parts.filter((p) => p.startsWith("{")).length;
  if (holes !== params.length) throw new Error(`${template}: ${holes} holes, ${params.length} arbitraries`);
  return fc.tuple(...params.map((p) => segment(p))).map((filled) => {
    let next = 0;
    return parts.map((p) => (p.startsWith("{") ? (filled[next++] ?? literal("")) : literal(p)));
  });
}

/** Junk keys next to the expected ones: prototype names, huge or empty keys. */
const junkKeys = fc.dictionary(
  fc.oneof(fc.constantFrom("__proto__", "constructor", "", "requestId "), hostileString),
  fc.jsonValue({ maxDepth: 1 }),
  {
    maxKeys: 2,
  },
);

/** A record of `fields` (whole or partial), some values swapped for any JSON, plus junk keys now and then. */
function object(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const anything = fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<unknown>;
  const loose = Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [
      k,
      fc.oneof({ weight: 5, arbitrary: v }, { weight: 1, arbitrary: anything }),
    ]),
  );
  return fc
    .tuple(
      // Every field half the time (so the validation is passed now and then), else any of them.
      fc.oneof(fc.record(loose), fc.record(loose, { requiredKeys: [] })),
      fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: junkKeys }),
    )
    .map(([o, extra]) => ({ ...extra, ...o }));
}

const upnParam = fc.oneof(
  { weight: 1, arbitrary: fc.constant(SANDBOX_USER_UPN) },
  { weight: 4, arbitrary: hostileUpn },
);
const thumbprint = fc.oneof(
  fc.stringMatching(/^[0-9A-F]{40}$/),
  fc.stringMatching(/^[0-9a-f]{2}(:[0-9a-f]{2}){19}$/),
  fc.stringMatching(/^[0-9A-Fa-f]{0,80}$/),
  hostileString,
);
const requestIdParam = fc.oneof(unknownPublicId, hostileId);
/** A rotation start's body that its strict schema ({ reason: 1-256 characters }) refuses, whatever else it holds. */
const refusedRotationBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    reason: fc.oneof(
      fc.constantFrom("", " \t ", "r".repeat(257)),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string()),
    ),
  }),
  fc.record({ reason: hostileString, extra: fc.jsonValue({ maxDepth: 1 }) }),
  fc.constant({}),
);

const callbackUrl = fc.oneof(
  fc.constantFrom(
    "https://tickets.contoso.com/cb",
    "http://tickets.contoso.com/cb",
    "https://169.254.169.254/metadata",
    "https://127.0.0.1/cb",
    "https://[::1]/cb",
    "https://localhost/cb",
    "file:///etc/passwd",
    "https://user:pass@tickets.contoso.com/cb",
    "https://tickets.contoso.com:0/cb",
    "javascript:alert(1)",
    "https://xn--80ak6aa92e.com/cb",
  ),
  fc.webUrl(),
  hostileString,
);

export type EdgeRouteArbitraries = Readonly<Record<string, (fixtures: EdgeFixtures) => fc.Arbitrary<EdgeRequest>>>;

export const EDGE_ROUTES: EdgeRouteArbitraries = {
  "GET v1/health": () => route({ method: "GET", segments: fixed("v1", "health") }),
  "GET v1/health/details": () => route({ method: "GET", segments: fixed("v1", "health", "details") }),
  "GET v1/roots": () => route({ method: "GET", segments: fixed("v1", "roots") }),
  "GET v1/gateways": () => route({ method: "GET", segments: fixed("v1", "gateways") }),
  "GET v1/gateways/{name}/profile": () =>
    route({
      method: "GET",
      segments: path(
        "v1/gateways/{name}/profile",
        fc.oneof(fc.constantFrom("vgw-sandbox", "VGW-SANDBOX", "vgw-sandbox-2"), hostileString),
      ),
    }),
  "GET v1/alerts": () =>
    route({
      method: "GET",
      segments: fixed("v1", "alerts"),
      query: ["limit", "continuationToken"],
    }),
  "GET v1/users/{upn}/certificates": () =>
    route({ method: "GET", segments: path("v1/users/{upn}/certificates", upnParam) }),
  "POST v1/users/{upn}/certificates": ({ nowMs }) =>
    route({
      method: "POST",
      segments: path("v1/users/{upn}/certificates", upnParam),
      body: bodySpec(
        object({ requestId: hostileId, reason: hostileString, rehire: fc.boolean(), effectiveAt: hostileTime(nowMs) }),
      ),
    }),
  "POST v1/users/{upn}/certificates/{thumbprint}/pkcs12": () =>
    route({
      method: "POST",
      segments: path("v1/users/{upn}/certificates/{thumbprint}/pkcs12", upnParam, thumbprint),
      body: bodySpec(
        object({
          passphrase: fc.oneof(fc.constant("correct horse battery staple"), hostileString),
          encryption: fc.oneof(fc.constantFrom("aes256", "legacy3des", "AES256", "des", "none"), hostileString),
          requestedBy: hostileString,
          reason: hostileString,
        }),
      ),
    }),
  "POST v1/users/{upn}/revocations": ({ nowMs }) =>
    route({
      method: "POST",
      segments: path("v1/users/{upn}/revocations", upnParam),
      body: bodySpec(object({ requestId: hostileId, reason: hostileString, effectiveAt: hostileTime(nowMs) })),
    }),
  "POST v1/requests": ({ nowMs }) =>
    route({
      method: "POST",
      segments: fixed("v1", "requests"),
      signature: signatureSpec,
      body: bodySpec(
        object({
          action: fc.oneof(fc.constantFrom("onboard", "offboard", "reissue", "Onboard", "delete"), hostileString),
          upn: fc.oneof(plausibleUpn, hostileUpn),
          ticketId: hostileId,
          requestedBy: hostileString,
          reason: hostileString,
          ticketCreatedAt: hostileTime(nowMs),
          callbackUrl,
          lostDevice: fc.boolean(),
        }),
      ),
    }),
  // Issue 14's rotation routes (registered once that work is merged; the guard then requires them). A start is never
  // valid here: an accepted rotation makes a new root and waits for days of durable time, which every later input
  // would see; its refusals are what the fuzz is for.
  "POST v1/roots/rotations": () =>
    route({ method: "POST", segments: fixed("v1", "roots", "rotations"), body: bodySpec(refusedRotationBody) }),
  "POST v1/roots/rotations/{requestId}/cancel": () =>
    route({
      method: "POST",
      segments: path("v1/roots/rotations/{requestId}/cancel", requestIdParam),
      body: bodySpec(object({ reason: hostileString })),
    }),
  "GET v1/requests/{requestId}": () =>
    route({ method: "GET", segments: path("v1/requests/{requestId}", requestIdParam) }),
  "GET v1/requests/{requestId}/credential": () =>
    route({ method: "GET", segments: path("v1/requests/{requestId}/credential", requestIdParam) }),
  "GET v1/deliveries/{requestId}/package": () =>
    route({
      method: "GET",
      segments: path("v1/deliveries/{requestId}/package", requestIdParam),
      query: ["token"],
    }),
  "GET v1/me/certificates": () => route({ method: "GET", segments: fixed("v1", "me", "certificates") }),
  "POST v1/me/certificates": ({ csrs }) =>
    route({
      method: "POST",
      segments: fixed("v1", "me", "certificates"),
      body: bodySpec(object({ csr: csrText(csrs) })),
    }),
  "POST v1/entra/notifications": () =>
    route({
      method: "POST",
      segments: fixed("v1", "entra", "notifications"),
      query: ["validationToken"],
      token: fc.constant<TokenSpec>({ kind: "none" }),
      body: bodySpec(object({ value: fc.array(changeNotification, { maxLength: 4 }) })),
    }),
  "POST v1/entra/notifications/lifecycle": () =>
    route({
      method: "POST",
      segments: fixed("v1", "entra", "notifications", "lifecycle"),
      query: ["validationToken"],
      token: fc.constant<TokenSpec>({ kind: "none" }),
      body: bodySpec(object({ value: fc.array(lifecycleNotification, { maxLength: 4 }) })),
    }),
};

/** A CSR as sent: the fixtures as they are, with one character changed, cut short, or no CSR at all. */
function csrText(csrs: readonly string[]): fc.Arbitrary<string> {
  const pem = fc.constantFrom(...csrs);
  return fc.oneof(
    pem,
    fc.tuple(pem, fc.nat(), fc.constantFrom("A", "/", "-", "\n", "\u0000", "é")).map(([c, at, ch]) => {
      const i = 40 + (at % Math.max(1, c.length - 80));
      return `${c.slice(0, i)}${ch}${c.slice(i + 1)}`;
    }),
    fc.tuple(pem, fc.nat()).map(([c, at]) => c.slice(0, at % c.length)),
    fc
      .base64String({ maxLength: 400 })
      .map((b) => `-----BEGIN CERTIFICATE REQUEST-----\n${b}\n-----END CERTIFICATE REQUEST-----\n`),
    pem.map((c) => `${c}${c}`),
    pem.map((c) => c.replace("CERTIFICATE REQUEST", "CERTIFICATE")),
    hostileString,
  );
}

const clientState = fc.oneof(
  { weight: 2, arbitrary: fc.constant(CLIENT_STATE_MARK) },
  { weight: 3, arbitrary: hostileString },
);
const guid = fc.oneof(fc.uuid(), hostileString);

const changeNotification = object({
  subscriptionId: guid,
  changeType: fc.oneof(fc.constantFrom("created", "updated", "deleted", "Updated"), hostileString),
  resource: fc.oneof(
    guid.map((id) => `Users/${id}`),
    guid.map((id) => `groups/${id}/members`),
    fc.constantFrom("users", "Users/../groups/x", "/users/00000000-0000-0000-0000-000000000000/"),
    hostileString,
  ),
  resourceData: object({ id: guid, "@odata.type": fc.constantFrom("#Microsoft.Graph.User", "#Microsoft.Graph.Group") }),
  clientState,
  tenantId: guid,
});

const lifecycleNotification = object({
  subscriptionId: guid,
  lifecycleEvent: fc.oneof(fc.constantFrom("reauthorizationRequired", "missed", "subscriptionRemoved"), hostileString),
  clientState,
});
