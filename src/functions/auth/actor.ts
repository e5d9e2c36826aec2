// Who is calling: the authenticated caller an Entra ID access token names, as the routes and the audit see it.

export const APP_ROLES = [
  "Certificates.Read",
  "Certificates.Issue",
  "Certificates.Revoke",
  "Certificates.Export",
  "Gateways.Read",
  "Requests.Submit",
  "Roots.Rotate",
] as const;

export type AppRole = (typeof APP_ROLES)[number];

export interface Actor {
  /** "user": a delegated token (it has `scp`); "app": an application token. */
  readonly kind: "user" | "app";
  /** oid */
  readonly objectId: string;
  /** tid */
  readonly tenantId: string;
  /** azp (v2) or appid (v1): the calling client. */
  readonly appId: string;
  /** Users: their UPN; apps: the display name if the token has one, else the app id. */
  readonly name: string;
  /** Delegated tokens only (upn, else preferred_username), lower-cased. */
  readonly upn?: string;
  /** From the `roles` claim; unknown roles dropped. */
  readonly roles: readonly AppRole[];
}

export function isAppRole(value: unknown): value is AppRole {
  return typeof value === "string" && (APP_ROLES as readonly string[]).includes(value);
}

/** The one-line form the audit/ledger `actor` strings hold, e.g. "user:alice@contoso.com oid=…" / "app:Ticketing oid=… appid=…". */
export function actorLabel(actor: Actor): string {
  return actor.kind === "user"
    ? `user:${actor.upn ?? actor.name} oid=${actor.objectId}`
    : `app:${actor.name} oid=${actor.objectId} appid=${actor.appId}`;
}
