// The identity emulator's state: the tenant's signing keys, the protected API (the app's registration and its app
// roles), the client applications (service principals with a secret and app role assignments) and the users.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createSigningKey } from "./tokens";
import type { SigningKey } from "./tokens";

export interface ProtectedApi {
  /** The API's app registration client id: the `aud` of v2 access tokens for it. */
  readonly clientId: string;
  /** Its Application ID URI (api://...): what clients ask for as `{uri}/.default`. */
  readonly appIdUri: string;
  /** The app roles the registration defines; assignments outside them are refused. */
  readonly roles: readonly string[];
}

export interface ClientApp {
  readonly clientId: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  readonly secretHash: Buffer;
}

export interface DirectoryUser {
  readonly upn: string;
  readonly objectId: string;
  readonly roles: readonly string[];
}

function hash(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/** A stable object id for a UPN, so the same user keeps one oid across tokens (and sandbox runs). */
export function objectIdFor(upn: string): string {
  const h = createHash("sha256").update(`user:${upn.toLowerCase()}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class Directory {
  readonly #keys: SigningKey[] = [];
  readonly #clients = new Map<string, ClientApp>();
  readonly #users = new Map<string, DirectoryUser>();

  constructor(
    readonly tenantId: string,
    readonly api: ProtectedApi,
  ) {}

  /** The key new tokens are signed with (the newest). */
  get signingKey(): SigningKey {
    const key = this.#keys[0];
    if (key === undefined) throw new Error("the identity emulator has no signing key yet");
    return key;
  }

  /** Every published key, newest first: Entra ID publishes several, the previous ones stay until retired. */
  get publishedKeys(): readonly SigningKey[] {
    return this.#keys;
  }

  /** Publishes a new key and signs with it from now on; the old ones stay published. */
  async rotateKey(): Promise<SigningKey> {
    const key = await createSigningKey();
    this.#keys.unshift(key);
    return key;
  }

  /** Registers a client application with a secret and app roles on the API; answers its id and secret. */
  registerClient(input: { displayName: string; roles: readonly string[]; clientId?: string; secret?: string }): {
    clientId: string;
    secret: string;
  } {
    this.#checkRoles(input.roles);
    const clientId = input.clientId ?? randomUUID();
    const secret = input.secret ?? randomBytes(24).toString("base64url");
    this.#clients.set(clientId, {
      clientId,
      objectId: randomUUID(),
      displayName: input.displayName,
      roles: [...input.roles],
      secretHash: hash(secret),
    });
    return { clientId, secret };
  }

  /** The client when the secret is its own; undefined otherwise (unknown client or wrong secret). */
  authenticateClient(clientId: string, secret: string): ClientApp | "unknown" | "badSecret" {
    const client = this.#clients.get(clientId);
    if (client === undefined) return "unknown";
    return timingSafeEqual(client.secretHash, hash(secret)) ? client : "badSecret";
  }

  client(clientId: string): ClientApp | undefined {
    return this.#clients.get(clientId);
  }

  /** A user of the tenant; created (without roles) on first use when not registered. */
  user(upn: string): DirectoryUser {
    const key = upn.toLowerCase();
    let user = this.#users.get(key);
    if (user === undefined) {
      user = { upn: key, objectId: objectIdFor(key), roles: [] };
      this.#users.set(key, user);
    }
    return user;
  }

  /** Registers a user or replaces the app roles assigned to them. */
  registerUser(upn: string, roles: readonly string[] = []): DirectoryUser {
    this.#checkRoles(roles);
    const user = { ...this.user(upn), roles: [...roles] };
    this.#users.set(user.upn, user);
    return user;
  }

  #checkRoles(roles: readonly string[]): void {
    const unknown = roles.filter((r) => !this.api.roles.includes(r));
    if (unknown.length > 0) throw new Error(`the API defines no app role ${unknown.join(", ")}`);
  }
}
