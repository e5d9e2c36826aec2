// Certificate policies: the wire shape (snake_case, as Key Vault speaks it) parsed with zod, normalised with the
// defaults Key Vault fills in, merged for PATCH /policy, and written back. One policy per certificate name.
import { z } from "zod";
import { parseSubject } from "./subject-name";
import { badParameter } from "./vault-error";

export const KEY_USAGES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export const CONTENT_TYPES = ["application/x-pkcs12", "application/x-pem-file"] as const;
export type SecretContentType = (typeof CONTENT_TYPES)[number];

export const RSA_KEY_SIZES = [2048, 3072, 4096] as const;
export type RsaKeySize = (typeof RSA_KEY_SIZES)[number];

/** Key Vault's default when a policy names no key usage (about-certificates, "Mapping X.509 usage"). */
const DEFAULT_KEY_USAGE: readonly KeyUsage[] = ["digitalSignature", "keyEncipherment"];

const strings = z.array(z.string()).nullish();

const wirePolicySchema = z.object({
  key_props: z
    .object({
      exportable: z.boolean().nullish(),
      kty: z.string().nullish(),
      key_size: z.number().int().nullish(),
      reuse_key: z.boolean().nullish(),
      crv: z.string().nullish(),
    })
    .nullish(),
  secret_props: z.object({ contentType: z.string().nullish() }).nullish(),
  x509_props: z
    .object({
      subject: z.string().nullish(),
      ekus: strings,
      sans: z
        .object({ emails: strings, dns_names: strings, upns: strings, uris: strings, ipAddresses: strings })
        .nullish(),
      key_usage: strings,
      validity_months: z.number().int().nullish(),
    })
    .nullish(),
  lifetime_actions: z
    .array(
      z.object({
        trigger: z
          .object({ lifetime_percentage: z.number().int().nullish(), days_before_expiry: z.number().int().nullish() })
          .nullish(),
        action: z.object({ action_type: z.string().nullish() }).nullish(),
      }),
    )
    .nullish(),
  issuer: z
    .object({ name: z.string().nullish(), cty: z.string().nullish(), cert_transparency: z.boolean().nullish() })
    .nullish(),
  attributes: z.object({ enabled: z.boolean().nullish() }).nullish(),
});
export type WirePolicy = z.infer<typeof wirePolicySchema>;

export interface SubjectAlternativeNames {
  readonly emails: readonly string[];
  readonly dnsNames: readonly string[];
  readonly upns: readonly string[];
  readonly uris: readonly string[];
  readonly ipAddresses: readonly string[];
}

export interface LifetimeAction {
  readonly lifetimePercentage: number | undefined;
  readonly daysBeforeExpiry: number | undefined;
  readonly actionType: string;
}

export interface CertificatePolicy {
  readonly exportable: boolean;
  readonly keyType: "RSA" | "RSA-HSM";
  readonly keySize: RsaKeySize;
  readonly reuseKey: boolean;
  readonly contentType: SecretContentType;
  readonly subject: string;
  readonly ekus: readonly string[];
  readonly sans: SubjectAlternativeNames;
  readonly keyUsage: readonly KeyUsage[];
  readonly validityMonths: number;
  readonly lifetimeActions: readonly LifetimeAction[];
  readonly issuerName: string;
  readonly certificateType: string | undefined;
  readonly certificateTransparency: boolean | undefined;
  readonly enabled: boolean;
  readonly created: number;
  readonly updated: number;
}

export function parseWirePolicy(value: unknown): WirePolicy {
  const parsed = wirePolicySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? "policy" : ["policy", ...issue.path.map(String)].join(".");
    throw badParameter(`Property ${where} has invalid value.`);
  }
  return parsed.data;
}

/** A policy for a first create: what the request gives, defaults for the rest, all of it validated. */
export function newPolicy(wire: WirePolicy, nowSeconds: number): CertificatePolicy {
  return mergePolicy(undefined, wire, nowSeconds);
}

/**
 * Applies `patch` over `base` section by section, field by field (PATCH /policy sets what it names and leaves the
 * rest), then validates the result. Without a base the defaults fill the gaps and subject and issuer are required.
 */
export function mergePolicy(
  base: CertificatePolicy | undefined,
  patch: WirePolicy,
  nowSeconds: number,
): CertificatePolicy {
  const key = patch.key_props ?? {};
  const x509 = patch.x509_props ?? {};
  const sans = x509.sans;
  const issuerName = patch.issuer?.name ?? base?.issuerName;
  if (issuerName === undefined || issuerName === "") throw badParameter("Property policy.issuer.name is required.");
  const subject = x509.subject ?? base?.subject;
  if (subject === undefined || subject === "") throw badParameter("Property policy.x509_props.subject is required.");
  parseSubject(subject);

  const keyType = key.kty ?? base?.keyType ?? "RSA";
  if (keyType !== "RSA" && keyType !== "RSA-HSM") {
    throw badParameter(`Key type '${keyType}' is not supported by this emulator (RSA and RSA-HSM only).`);
  }
  const keySize = key.key_size ?? base?.keySize ?? 2048;
  if (!isRsaKeySize(keySize)) throw badParameter(`Property policy.key_props.key_size has invalid value ${keySize}.`);
  const contentType = patch.secret_props?.contentType ?? base?.contentType ?? "application/x-pkcs12";
  if (!isContentType(contentType)) {
    throw badParameter(`Property policy.secret_props.contentType has invalid value '${contentType}'.`);
  }
  const keyUsage = x509.key_usage ?? base?.keyUsage ?? DEFAULT_KEY_USAGE;
  for (const usage of keyUsage) {
    if (!isKeyUsage(usage)) throw badParameter(`Property policy.x509_props.key_usage has invalid value '${usage}'.`);
  }
  const ekus = x509.ekus ?? base?.ekus ?? [];
  for (const eku of ekus) {
    if (!/^\d+(\.\d+)+$/.test(eku)) throw badParameter(`Property policy.x509_props.ekus has invalid value '${eku}'.`);
  }
  const validityMonths = x509.validity_months ?? base?.validityMonths ?? 12;
  if (validityMonths < 1 || validityMonths > 1200) {
    throw badParameter(`Property policy.x509_props.validity_months has invalid value ${validityMonths}.`);
  }
  const actions =
    patch.lifetime_actions?.map((action) => ({
      lifetimePercentage: action.trigger?.lifetime_percentage ?? undefined,
      daysBeforeExpiry: action.trigger?.days_before_expiry ?? undefined,
      actionType: action.action?.action_type ?? "EmailContacts",
    })) ??
    base?.lifetimeActions ??
    defaultLifetimeActions(issuerName);

  return {
    exportable: key.exportable ?? base?.exportable ?? true,
    keyType,
    keySize,
    reuseKey: key.reuse_key ?? base?.reuseKey ?? false,
    contentType,
    subject,
    ekus,
    sans: {
      emails: sans?.emails ?? base?.sans.emails ?? [],
      dnsNames: sans?.dns_names ?? base?.sans.dnsNames ?? [],
      upns: sans?.upns ?? base?.sans.upns ?? [],
      uris: sans?.uris ?? base?.sans.uris ?? [],
      ipAddresses: sans?.ipAddresses ?? base?.sans.ipAddresses ?? [],
    },
    keyUsage: keyUsage.filter(isKeyUsage),
    validityMonths,
    lifetimeActions: actions,
    issuerName,
    certificateType: patch.issuer?.cty ?? base?.certificateType,
    certificateTransparency: patch.issuer?.cert_transparency ?? base?.certificateTransparency,
    enabled: patch.attributes?.enabled ?? base?.enabled ?? true,
    created: base?.created ?? nowSeconds,
    updated: nowSeconds,
  };
}

/** Self-issued certificates renew themselves by default; others only e-mail the contacts. */
function defaultLifetimeActions(issuerName: string): LifetimeAction[] {
  return [
    {
      lifetimePercentage: 80,
      daysBeforeExpiry: undefined,
      actionType: isSelfIssuer(issuerName) ? "AutoRenew" : "EmailContacts",
    },
  ];
}

export function isSelfIssuer(issuerName: string): boolean {
  return issuerName.toLowerCase() === "self";
}

export function isUnknownIssuer(issuerName: string): boolean {
  return issuerName.toLowerCase() === "unknown";
}

function isRsaKeySize(size: number): size is RsaKeySize {
  return (RSA_KEY_SIZES as readonly number[]).includes(size);
}

function isContentType(value: string): value is SecretContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value);
}

function isKeyUsage(value: string): value is KeyUsage {
  return (KEY_USAGES as readonly string[]).includes(value);
}

/** The policy as Key Vault returns it. */
export function policyToWire(policy: CertificatePolicy, policyId: string): Record<string, unknown> {
  const sans: Record<string, readonly string[]> = {};
  if (policy.sans.emails.length > 0) sans.emails = policy.sans.emails;
  if (policy.sans.dnsNames.length > 0) sans.dns_names = policy.sans.dnsNames;
  if (policy.sans.upns.length > 0) sans.upns = policy.sans.upns;
  if (policy.sans.uris.length > 0) sans.uris = policy.sans.uris;
  if (policy.sans.ipAddresses.length > 0) sans.ipAddresses = policy.sans.ipAddresses;
  return {
    id: policyId,
    key_props: {
      exportable: policy.exportable,
      kty: policy.keyType,
      key_size: policy.keySize,
      reuse_key: policy.reuseKey,
    },
    secret_props: { contentType: policy.contentType },
    x509_props: {
      subject: policy.subject,
      ...(Object.keys(sans).length > 0 ? { sans } : {}),
      ekus: policy.ekus,
      key_usage: policy.keyUsage,
      validity_months: policy.validityMonths,
      basic_constraints: { ca: false },
    },
    lifetime_actions: policy.lifetimeActions.map((action) => ({
      trigger:
        action.daysBeforeExpiry === undefined
          ? { lifetime_percentage: action.lifetimePercentage }
          : { days_before_expiry: action.daysBeforeExpiry },
      action: { action_type: action.actionType },
    })),
    issuer: {
      name: policy.issuerName,
      ...(policy.certificateType === undefined ? {} : { cty: policy.certificateType }),
      ...(policy.certificateTransparency === undefined ? {} : { cert_transparency: policy.certificateTransparency }),
    },
    attributes: { enabled: policy.enabled, created: policy.created, updated: policy.updated },
  };
}
