// Settings of access control (issue 10): Entra ID access tokens on the API, app roles, allowed UPN domains.
import { z } from "zod";
import { csv, httpsOrigin, optionalString } from "./config-parts";

const dnsDomain = z
  .string()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be DNS domain names");

export const accessSettings = {
  ENTRA_TENANT_ID: optionalString
    .pipe(z.uuid("must be a tenant id (GUID)").optional())
    .describe(
      "Entra ID tenant (directory) id whose access tokens the API accepts; tokens of any other tenant are refused. Required while API_TOKENS_REQUIRED is true.",
    ),
  ENTRA_API_AUDIENCES: csv
    .pipe(z.array(z.string().min(1)))
    .describe(
      "Comma-separated audiences the API accepts in a token's aud: the app registration's client id and/or its Application ID URI (api://...). Required while API_TOKENS_REQUIRED is true.",
    ),
  ENTRA_AUTHORITY_HOST: httpsOrigin
    .default("https://login.microsoftonline.com")
    .describe(
      "Entra ID authority host: v2 tokens are issued by <host>/<tenant>/v2.0 and signed with the keys of <host>/<tenant>/discovery/v2.0/keys (login.microsoftonline.us or login.partner.microsoftonline.cn in other clouds; the sandbox points it at its identity emulator). v1 tokens are accepted from https://sts.windows.net/<tenant>/.",
    ),
  API_TOKENS_REQUIRED: z
    .enum(["true", "false"], "must be true or false")
    .default("true")
    .transform((v) => v === "true")
    .describe(
      "Whether every API call must carry an Entra ID access token (Authorization: Bearer). false only while migrating callers: a call without a token then acts as the function key with every role (audited as such); a token that is sent is still validated.",
    ),
  ALLOWED_UPN_DOMAINS: csv
    .pipe(z.array(dnsDomain))
    .describe(
      "Comma-separated UPN domains certificates may be issued for (contoso.com,fabrikam.com); a request for any other domain is refused before anything starts. Required unless P2S_CREDENTIAL=localEmulator (the sandbox), where unset means any domain.",
    ),
};

interface AccessView {
  readonly P2S_CREDENTIAL: string;
  readonly ENTRA_TENANT_ID?: string | undefined;
  readonly ENTRA_API_AUDIENCES: readonly string[];
  readonly API_TOKENS_REQUIRED: boolean;
  readonly ALLOWED_UPN_DOMAINS: readonly string[];
}

type Issues = Pick<z.RefinementCtx, "addIssue">;

/** The cross-field rules of these settings; `valid` says whether a field passed its own checks. */
export function checkAccessSettings(s: AccessView, ctx: Issues, valid: (key: keyof AccessView) => boolean): void {
  const need = (key: keyof AccessView, message: string): void => {
    ctx.addIssue({ code: "custom", path: [key], message });
  };
  if (valid("API_TOKENS_REQUIRED") && s.API_TOKENS_REQUIRED) {
    if (valid("ENTRA_TENANT_ID") && s.ENTRA_TENANT_ID === undefined) {
      need("ENTRA_TENANT_ID", "is required while API_TOKENS_REQUIRED is true");
    }
    if (valid("ENTRA_API_AUDIENCES") && s.ENTRA_API_AUDIENCES.length === 0) {
      need("ENTRA_API_AUDIENCES", "is required while API_TOKENS_REQUIRED is true");
    }
  }
  // Outside the sandbox an empty list would mean "any domain": which ones must be said.
  if (
    valid("ALLOWED_UPN_DOMAINS") &&
    valid("P2S_CREDENTIAL") &&
    s.P2S_CREDENTIAL !== "localEmulator" &&
    s.ALLOWED_UPN_DOMAINS.length === 0
  ) {
    need("ALLOWED_UPN_DOMAINS", "is required unless P2S_CREDENTIAL=localEmulator");
  }
}
