// One fuzzed HTTP request, described symbolically (so fast-check can shrink and print it) and made real against a
// running sandbox: path segments in chosen encodings, query, headers, the function key, an Entra ID token (good,
// forged or junk), a ticket signature (good or broken) and a body (JSON or raw bytes, in any media type).
import { request as httpRequest } from "node:http";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import {
  accessTokenPayload,
  createSigningKey,
  hmacToken,
  signAccessToken,
  unsignedToken,
} from "../../../dev/emulators/identity";
import type { IdentityControls, TokenClaims } from "../../../dev/emulators/identity";
import { signatureOf, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../../src/domain/request-signature";
import { APP_ROLES } from "../../../src/functions/auth/actor";
import { hostileString, hostileUpn } from "./hostile-text";

/** What a request needs of the sandbox to be made real. */
export interface EdgeKit {
  readonly host: string;
  readonly functionKey: string;
  readonly eventGridKey: string;
  readonly adminToken: string;
  readonly readerToken: string;
  readonly userToken: string;
  readonly ticketSecret: string;
  readonly entraClientState: string;
  readonly identity: IdentityControls;
}

/** Stands for the sandbox's ENTRA_NOTIFICATION_CLIENT_STATE inside generated bodies, replaced when sent. */
export const CLIENT_STATE_MARK = "<<client-state>>";

export type Segment = { readonly raw: string; readonly encoding: "pct" | "printable" | "double" | "broken" };

export type TokenSpec =
  | { readonly kind: "none" }
  | { readonly kind: "good"; readonly who: "admin" | "reader" | "user" }
  | { readonly kind: "forged"; readonly tweak: ClaimTweak; readonly user?: string; readonly roles: readonly string[] }
  | { readonly kind: "stranger" | "unsigned" | "hs256"; readonly user?: string }
  | { readonly kind: "junk"; readonly text: string };

export type ClaimTweak =
  | "none"
  | "expired"
  | "notYet"
  | "audience"
  | "tenant"
  | "v1"
  | "noOid"
  | "noTid"
  | "noClient"
  | "oddTypes"
  | "hugeLifetime";

export type AuthForm = "Bearer" | "bearer" | "Bearer  " | "Basic" | "" | "Bearer+extra" | "twice";

export type SignatureSpec =
  | { readonly kind: "none" }
  | { readonly kind: "valid" | "upper" | "padded" | "wrongSecret" | "otherBody" | "onlyTimestamp" | "onlySignature" }
  | { readonly kind: "skewed"; readonly seconds: number }
  | { readonly kind: "junk"; readonly timestamp: string; readonly signature: string };

export type BodySpec =
  | { readonly kind: "none" }
  | { readonly kind: "json"; readonly value: unknown; readonly contentType: string; readonly chunked: boolean }
  | {
      readonly kind: "text";
      readonly text: string;
      readonly encoding: "utf8" | "utf16le" | "latin1";
      readonly contentType: string;
    }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array; readonly contentType: string };

export interface EdgeRequest {
  readonly method: string;
  /** Segments after /api/ (literal ones with encoding "pct" and a safe raw). */
  readonly segments: readonly Segment[];
  readonly query: readonly (readonly [string, string])[];
  readonly headers: readonly (readonly [string, string])[];
  readonly key: "right" | "none" | "wrong" | "query";
  readonly token: TokenSpec;
  readonly authForm: AuthForm;
  readonly signature: SignatureSpec;
  readonly body: BodySpec;
}

export interface EdgeAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

// ---------- arbitraries shared by the routes ----------

export const literal = (text: string): Segment => ({ raw: text, encoding: "pct" });

export const segment = (raw: fc.Arbitrary<string>): fc.Arbitrary<Segment> =>
  fc.record({ raw, encoding: fc.constantFrom("pct", "pct", "printable", "double", "broken") });

const forgedUser = fc.option(hostileUpn, { nil: undefined });
const roleSet = fc.subarray([...APP_ROLES, "Admin", "*", "certificates.issue", ""]);

export const tokenSpec: fc.Arbitrary<TokenSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("good" as const), who: fc.constantFrom("admin", "reader", "user") }),
  },
  { weight: 1, arbitrary: fc.constant<TokenSpec>({ kind: "none" }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("forged" as const),
      tweak: fc.constantFrom<ClaimTweak>(
        "none",
        "none",
        "expired",
        "notYet",
        "audience",
        "tenant",
        "v1",
        "noOid",
        "noTid",
        "noClient",
        "oddTypes",
        "hugeLifetime",
      ),
      user: forgedUser,
      roles: roleSet,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom("stranger" as const, "unsigned" as const, "hs256" as const),
      user: forgedUser,
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        hostileString,
        fc
          .array(fc.base64String({ maxLength: 40 }), { minLength: 1, maxLength: 6 })
          .map((p) => p.join(".").replace(/[+/=]/g, "_")),
        fc.constantFrom(
          "eyJhbGciOiJub25lIn0.e30.",
          "e30.e30.e30",
          "..",
          "a.b.c.d.e",
          "eyJhbGciOiJSUzI1NiJ9.bnVsbA.AAAA",
        ),
      )
      .map((text) => ({ kind: "junk" as const, text })),
  },
);

export const authForm: fc.Arbitrary<AuthForm> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<AuthForm>("Bearer") },
  { weight: 1, arbitrary: fc.constantFrom<AuthForm>("bearer", "Bearer  ", "Basic", "", "Bearer+extra", "twice") },
);

export const noSignature: fc.Arbitrary<SignatureSpec> = fc.constant({ kind: "none" });

export const signatureSpec: fc.Arbitrary<SignatureSpec> = fc.oneof(
  fc.constant<SignatureSpec>({ kind: "none" }),
  fc.constantFrom<SignatureSpec>(
    { kind: "valid" },
    { kind: "valid" },
    { kind: "upper" },
    { kind: "padded" },
    { kind: "wrongSecret" },
    { kind: "otherBody" },
    { kind: "onlyTimestamp" },
    { kind: "onlySignature" },
  ),
  fc.integer({ min: -100_000, max: 100_000 }).map((seconds) => ({ kind: "skewed" as const, seconds })),
  fc.record({ kind: fc.constant("junk" as const), timestamp: hostileString, signature: hostileString }),
);

export const functionKey: fc.Arbitrary<EdgeRequest["key"]> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<EdgeRequest["key"]>("right") },
  { weight: 1, arbitrary: fc.constantFrom<EdgeRequest["key"]>("none", "wrong", "query") },
);

const JSON_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/json; charset=utf-16",
  "application/jsonp",
  "application/json-patch+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/cloudevents+json",
  "",
];
export const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  { weight: 3, arbitrary: fc.constantFrom(...JSON_TYPES) },
);

/** A body around `value` (a near-valid object for the route), or something else entirely. */
export function bodySpec(value: fc.Arbitrary<unknown>): fc.Arbitrary<BodySpec> {
  const anyJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<unknown>;
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant("json" as const), value, contentType, chunked: fc.boolean() }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant("json" as const), value: anyJson, contentType, chunked: fc.boolean() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("text" as const),
        // Deep nesting: parsers, validators and serialisers that recurse (JSON.stringify gives up near 5000).
        text: fc
          .tuple(fc.integer({ min: 100, max: 6000 }), fc.constantFrom("[", '{"a":'))
          .map(([depth, open]) => `{"value":${open.repeat(depth)}1${(open === "[" ? "]" : "}").repeat(depth)}}`),
        encoding: fc.constant("utf8" as const),
        contentType,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("text" as const),
        text: fc.oneof(
          hostileString,
          value.map((v) => `\ufeff${JSON.stringify(v)}`),
          value.map((v) => JSON.stringify(v).slice(0, -1)),
          value.map((v) => `${JSON.stringify(v)}${JSON.stringify(v)}`),
          fc.integer({ min: 16 * 1024 - 8, max: 70 * 1024 }).map((n) => `{"pad":"${"p".repeat(n)}"}`),
        ),
        encoding: fc.constantFrom("utf8", "utf8", "utf16le", "latin1"),
        contentType,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("bytes" as const),
        bytes: fc.uint8Array({ maxLength: 300 }),
        contentType,
      }),
    },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: "none" }) },
  );
}

/** A few extra headers, hostile or not (never the ones the request sets itself). */
export const extraHeaders: fc.Arbitrary<readonly (readonly [string, string])[]> = fc.array(
  fc.tuple(
    fc.constantFrom(
      "x-forwarded-host",
      "x-forwarded-proto",
      "x-original-url",
      "accept",
      "accept-encoding",
      "content-encoding",
      "x-ms-client-principal",
      "x-ms-client-principal-name",
      "origin",
      "x-custom",
      "transfer-encoding-hint",
      "aeg-event-type",
    ),
    fc.oneof(hostileString, fc.constantFrom("gzip", "deflate", "br", "evil.example", "https", "*/*", "Notification")),
  ),
  { maxLength: 3 },
);

/** Query pairs, hostile keys and values, with the route's own parameters among them. */
export function queryPairs(own: readonly string[]): fc.Arbitrary<readonly (readonly [string, string])[]> {
  return fc.array(fc.tuple(fc.oneof(fc.constantFrom(...own, "code", "__proto__"), hostileString), hostileString), {
    maxLength: 3,
  });
}

// ---------- making it real ----------

/** Percent-encodes the UTF-8 bytes of `text` (lone surrogates become U+FFFD, as a client would send them). */
function pct(text: string, keep: (char: string) => boolean): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && keep(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const PRINTABLE = /^[!-~]$/;

export function encodeSegment(s: Segment): string {
  switch (s.encoding) {
    case "pct":
      return pct(s.raw, (c) => UNRESERVED.test(c));
    case "printable":
      // Printable ASCII raw (except what ends a path segment or a path), the rest percent-encoded.
      return pct(s.raw, (c) => PRINTABLE.test(c) && !"/?#%".includes(c));
    case "double":
      return pct(
        pct(s.raw, (c) => UNRESERVED.test(c)),
        (c) => UNRESERVED.test(c),
      );
    case "broken":
      return `${pct(s.raw, (c) => UNRESERVED.test(c))}%${s.raw.length % 2 === 0 ? "zz" : ""}`;
  }
}

export function pathOf(request: Pick<EdgeRequest, "segments" | "query" | "key">, kit: EdgeKit): string {
  const path = `/api/${request.segments.map(encodeSegment).join("/")}`;
  const pairs = [...request.query];
  if (request.key === "query") pairs.push(["code", kit.functionKey]);
  const query = pairs.map(([k, v]) => `${pct(k, (c) => UNRESERVED.test(c))}=${pct(v, (c) => UNRESERVED.test(c))}`);
  return query.length === 0 ? path : `${path}?${query.join("&")}`;
}

const claimsOf = (kit: EdgeKit, user: string | undefined, roles: readonly string[]): TokenClaims =>
  kit.identity.claims({
    roles,
    ...(user === undefined ? { appDisplayName: "fuzzer" } : { user: { upn: user, scopes: ["user_impersonation"] } }),
  });

function tweakClaims(claims: TokenClaims, tweak: ClaimTweak): { claims: TokenClaims; drop: readonly string[] } {
  const now = Math.floor(Date.now() / 1000);
  switch (tweak) {
    case "none":
      return { claims, drop: [] };
    case "expired":
      return { claims: { ...claims, issuedAt: now - 7200, lifetimeSeconds: 3600 }, drop: [] };
    case "notYet":
      return { claims: { ...claims, issuedAt: now + 3600 }, drop: [] };
    case "audience":
      return { claims: { ...claims, audience: "api://someone-else" }, drop: [] };
    case "tenant":
      return { claims: { ...claims, tenantId: "0badc0de-0000-4000-8000-000000000000" }, drop: [] };
    case "v1":
      return { claims: { ...claims, version: "1.0" }, drop: [] };
    case "noOid":
      return { claims, drop: ["oid"] };
    case "noTid":
      return { claims, drop: ["tid"] };
    case "noClient":
      return { claims, drop: ["azp", "appid"] };
    case "oddTypes":
      return {
        claims: {
          ...claims,
          extra: { roles: { 0: "Certificates.Issue" }, scp: 7, upn: ["a@contoso.com"], azp: 12, name: null },
        },
        drop: [],
      };
    case "hugeLifetime":
      return { claims: { ...claims, lifetimeSeconds: 10 ** 12 }, drop: [] };
  }
}

async function tokenText(spec: TokenSpec, kit: EdgeKit): Promise<string | undefined> {
  switch (spec.kind) {
    case "none":
      return undefined;
    case "good":
      return spec.who === "admin" ? kit.adminToken : spec.who === "reader" ? kit.readerToken : kit.userToken;
    case "forged": {
      const { claims, drop } = tweakClaims(claimsOf(kit, spec.user, spec.roles), spec.tweak);
      const payload = Object.fromEntries(
        Object.entries(accessTokenPayload(claims)).filter(([name]) => !drop.includes(name)),
      );
      return kit.identity.sign(payload);
    }
    case "stranger":
      return signAccessToken(await strangerKey(), accessTokenPayload(claimsOf(kit, spec.user, APP_ROLES)));
    case "unsigned":
      return unsignedToken(accessTokenPayload(claimsOf(kit, spec.user, APP_ROLES)));
    case "hs256":
      return hmacToken(accessTokenPayload(claimsOf(kit, spec.user, APP_ROLES)), randomBytes(32), "confused");
    case "junk":
      return spec.text;
  }
}

let stranger: ReturnType<typeof createSigningKey> | undefined;
const strangerKey = (): ReturnType<typeof createSigningKey> => (stranger ??= createSigningKey());

/** JSON text of any value (undefined, which JSON.stringify gives no text for, as null). */
export function jsonText(value: unknown): string {
  return value === undefined ? "null" : JSON.stringify(value);
}

/** Header values Node sends as they are: no CR, LF or NUL, nothing past Latin-1. */
export function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?");
}

function authorization(form: AuthForm, token: string): string[] {
  switch (form) {
    case "Bearer":
    case "bearer":
      return [`${form} ${token}`];
    case "Bearer  ":
      return [`Bearer  ${token}  `];
    case "Basic":
      return [`Basic ${Buffer.from(`x:${token}`).toString("base64")}`];
    case "":
      return [token];
    case "Bearer+extra":
      return [`Bearer ${token} extra`];
    case "twice":
      return [`Bearer ${token}`, `Bearer ${token}`];
  }
}

export function bodyBytes(body: BodySpec, kit: Pick<EdgeKit, "entraClientState">): Buffer | undefined {
  const mark = (text: string): string => text.split(CLIENT_STATE_MARK).join(kit.entraClientState);
  switch (body.kind) {
    case "none":
      return undefined;
    case "json":
      return Buffer.from(mark(jsonText(body.value)), "utf8");
    case "text":
      return Buffer.from(mark(body.text), body.encoding);
    case "bytes":
      return Buffer.from(body.bytes);
  }
}

function signatureHeaders(spec: SignatureSpec, body: Buffer, kit: EdgeKit): [string, string][] {
  const now = Math.floor(Date.now() / 1000);
  const sign = (secret: string, at: number, bytes: Uint8Array): string => signatureOf(secret, at, bytes);
  switch (spec.kind) {
    case "none":
      return [];
    case "valid":
      return [
        [TIMESTAMP_HEADER, String(now)],
        [SIGNATURE_HEADER, sign(kit.ticketSecret, now, body)],
      ];
    case "upper":
      return [
        [TIMESTAMP_HEADER, String(now)],
        [SIGNATURE_HEADER, sign(kit.ticketSecret, now, body).toUpperCase()],
      ];
    case "padded":
      return [
        [TIMESTAMP_HEADER, ` ${now} `],
        [SIGNATURE_HEADER, ` ${sign(kit.ticketSecret, now, body)}\t`],
      ];
    case "wrongSecret":
      return [
        [TIMESTAMP_HEADER, String(now)],
        [SIGNATURE_HEADER, sign(`${kit.ticketSecret}x`, now, body)],
      ];
    case "otherBody":
      return [
        [TIMESTAMP_HEADER, String(now)],
        [SIGNATURE_HEADER, sign(kit.ticketSecret, now, Buffer.concat([body, Buffer.from(" ")]))],
      ];
    case "onlyTimestamp":
      return [[TIMESTAMP_HEADER, String(now)]];
    case "onlySignature":
      return [[SIGNATURE_HEADER, sign(kit.ticketSecret, now, body)]];
    case "skewed":
      return [
        [TIMESTAMP_HEADER, String(now + spec.seconds)],
        [SIGNATURE_HEADER, sign(kit.ticketSecret, now + spec.seconds, body)],
      ];
    case "junk":
      return [
        [TIMESTAMP_HEADER, headerSafe(spec.timestamp)],
        [SIGNATURE_HEADER, headerSafe(spec.signature)],
      ];
  }
}

/** Sends the request over plain HTTP with node:http, so headers and bytes go out as described (no fetch rewriting). */
export async function sendEdgeRequest(request: EdgeRequest, kit: EdgeKit): Promise<EdgeAnswer> {
  const headers: [string, string][] = request.headers.map(([k, v]) => [k, headerSafe(v)]);
  if (request.key === "right") headers.push(["x-functions-key", kit.functionKey]);
  if (request.key === "wrong") headers.push(["x-functions-key", `${kit.functionKey.slice(0, -2)}xx`]);
  const token = await tokenText(request.token, kit);
  if (token !== undefined)
    for (const value of authorization(request.authForm, token)) headers.push(["authorization", headerSafe(value)]);
  const body = bodyBytes(request.body, kit);
  if (body !== undefined && request.body.kind !== "none" && request.body.contentType !== "") {
    headers.push(["content-type", request.body.contentType]);
  }
  headers.push(...signatureHeaders(request.signature, body ?? Buffer.alloc(0), kit));
  const chunked = request.body.kind === "json" && request.body.chunked;
  if (body !== undefined && !chunked) headers.push(["content-length", String(body.length)]);
  return send(request.method, `${kit.host}${pathOf(request, kit)}`, headers, body);
}

export function send(
  method: string,
  url: string,
  headers: readonly (readonly [string, string])[],
  body: Buffer | undefined,
): Promise<EdgeAnswer> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of headers)
    grouped.set(name.toLowerCase(), [...(grouped.get(name.toLowerCase()) ?? []), value]);
  return new Promise<EdgeAnswer>((resolve, reject) => {
    const req = httpRequest(url, { method, headers: Object.fromEntries(grouped), timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), headers: res.headers });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within 30 s`)));
    req.on("error", reject);
    if (body !== undefined && body.length > 0) {
      // Chunked bodies in two writes, so a reader sees more than one chunk.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else req.end();
  });
}
