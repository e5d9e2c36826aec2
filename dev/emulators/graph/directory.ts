// The emulated tenant's directory: users, groups and group membership (users and groups as members, so groups
// nest), with transitive membership computed on demand. Every change is numbered and told to listeners, so later
// features (change notifications, delta queries) can follow the directory without reaching into it.
import { randomUUID } from "node:crypto";

export interface DirectoryUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly accountEnabled: boolean;
  readonly mail: string;
  readonly createdDateTime: string;
}

export interface DirectoryGroup {
  readonly id: string;
  readonly displayName: string;
  readonly mailNickname: string;
  readonly securityEnabled: boolean;
  readonly createdDateTime: string;
  /** Object ids of the direct members (users and groups). */
  readonly members: ReadonlySet<string>;
}

export type DirectoryChangeKind = "created" | "updated" | "deleted" | "memberAdded" | "memberRemoved";

export interface DirectoryChange {
  /** 1, 2, 3...: the order changes were made in. */
  readonly sequence: number;
  readonly at: string;
  readonly objectType: "user" | "group";
  readonly id: string;
  readonly kind: DirectoryChangeKind;
  /** The member added or removed (memberAdded, memberRemoved). */
  readonly memberId?: string;
}

/** A control request the directory refuses: an unknown object, or one that would clash with what exists. */
export class DirectoryError extends Error {
  override readonly name = "DirectoryError";
  constructor(
    readonly reason: "notFound" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

interface MutableGroup extends Omit<DirectoryGroup, "members"> {
  readonly members: Set<string>;
}

export class Directory {
  readonly #users = new Map<string, DirectoryUser>();
  readonly #groups = new Map<string, MutableGroup>();
  readonly #changes: DirectoryChange[] = [];
  readonly #listeners = new Set<(change: DirectoryChange) => void>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A user by object id or userPrincipalName (case-insensitive), as /users/{id | userPrincipalName} finds it. */
  user(idOrUpn: string): DirectoryUser | undefined {
    const key = idOrUpn.toLowerCase();
    const byId = this.#users.get(key);
    if (byId !== undefined) return byId;
    for (const user of this.#users.values()) if (user.userPrincipalName.toLowerCase() === key) return user;
    return undefined;
  }

  users(): DirectoryUser[] {
    return [...this.#users.values()];
  }

  /** Adds a user, or updates the one with that UPN; `id` only applies to a new user. */
  upsertUser(input: {
    readonly upn: string;
    readonly accountEnabled?: boolean;
    readonly displayName?: string;
    readonly id?: string;
  }): { readonly user: DirectoryUser; readonly created: boolean } {
    const existing = this.user(input.upn);
    if (existing === undefined) {
      const id = (input.id ?? randomUUID()).toLowerCase();
      if (this.#users.has(id) || this.#groups.has(id)) throw new DirectoryError("conflict", `object ${id} exists`);
      const user: DirectoryUser = {
        id,
        userPrincipalName: input.upn,
        displayName: input.displayName ?? input.upn.split("@")[0] ?? input.upn,
        accountEnabled: input.accountEnabled ?? true,
        mail: input.upn,
        createdDateTime: this.#isoNow(),
      };
      this.#users.set(id, user);
      this.#record("user", id, "created");
      return { user, created: true };
    }
    const user: DirectoryUser = {
      ...existing,
      ...(input.accountEnabled === undefined ? {} : { accountEnabled: input.accountEnabled }),
      ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
    };
    this.#users.set(user.id, user);
    if (user.accountEnabled !== existing.accountEnabled || user.displayName !== existing.displayName) {
      this.#record("user", user.id, "updated");
    }
    return { user, created: false };
  }

  /** Deletes a user and its memberships; false when there is none. */
  deleteUser(idOrUpn: string): boolean {
    const user = this.user(idOrUpn);
    if (user === undefined) return false;
    for (const group of this.#groups.values()) {
      if (group.members.delete(user.id)) this.#record("group", group.id, "memberRemoved", user.id);
    }
    this.#users.delete(user.id);
    this.#record("user", user.id, "deleted");
    return true;
  }

  group(id: string): DirectoryGroup | undefined {
    return this.#groups.get(id.toLowerCase());
  }

  groups(): DirectoryGroup[] {
    return [...this.#groups.values()];
  }

  createGroup(input: { readonly displayName: string; readonly id?: string }): DirectoryGroup {
    const id = (input.id ?? randomUUID()).toLowerCase();
    if (this.#users.has(id) || this.#groups.has(id)) throw new DirectoryError("conflict", `object ${id} exists`);
    const group: MutableGroup = {
      id,
      displayName: input.displayName,
      mailNickname: input.displayName.replace(/[^A-Za-z0-9]/g, "").toLowerCase() || id.slice(0, 8),
      securityEnabled: true,
      createdDateTime: this.#isoNow(),
      members: new Set(),
    };
    this.#groups.set(id, group);
    this.#record("group", id, "created");
    return group;
  }

  /**
   * Makes a user or group (by object id, or a user by UPN) a direct member of the group. Returns false when it was
   * one already. A group cannot contain itself, directly or through nesting.
   */
  addMember(groupId: string, memberIdOrUpn: string): boolean {
    const group = this.#mutableGroup(groupId);
    const memberId = this.#objectId(memberIdOrUpn);
    if (memberId === group.id || this.transitiveGroupIds(group.id).has(memberId)) {
      throw new DirectoryError("conflict", `group ${memberId} would contain itself`);
    }
    if (group.members.has(memberId)) return false;
    group.members.add(memberId);
    this.#record("group", group.id, "memberAdded", memberId);
    return true;
  }

  /** Removes a direct member; false when it was none. */
  removeMember(groupId: string, memberIdOrUpn: string): boolean {
    const group = this.#mutableGroup(groupId);
    const memberId = this.#objectId(memberIdOrUpn);
    if (!group.members.delete(memberId)) return false;
    this.#record("group", group.id, "memberRemoved", memberId);
    return true;
  }

  /** Ids of the groups the object is a direct member of. */
  directGroupIds(objectId: string): Set<string> {
    const id = objectId.toLowerCase();
    return new Set([...this.#groups.values()].filter((g) => g.members.has(id)).map((g) => g.id));
  }

  /** Ids of every group the object is a member of, directly or through groups it is in (transitively). */
  transitiveGroupIds(objectId: string): Set<string> {
    const found = new Set<string>();
    const pending = [...this.directGroupIds(objectId)];
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
      if (found.has(id)) continue;
      found.add(id);
      pending.push(...this.directGroupIds(id));
    }
    return found;
  }

  /** Changes after `sequence` (all with 0), oldest first. */
  changes(after = 0): DirectoryChange[] {
    return this.#changes.filter((change) => change.sequence > after);
  }

  /** Calls `listener` on every change from now on; returns the unsubscribe. */
  onChange(listener: (change: DirectoryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #mutableGroup(groupId: string): MutableGroup {
    const group = this.#groups.get(groupId.toLowerCase());
    if (group === undefined) throw new DirectoryError("notFound", `no group ${groupId}`);
    return group;
  }

  #objectId(idOrUpn: string): string {
    const user = this.user(idOrUpn);
    if (user !== undefined) return user.id;
    const group = this.#groups.get(idOrUpn.toLowerCase());
    if (group !== undefined) return group.id;
    throw new DirectoryError("notFound", `no user or group ${idOrUpn}`);
  }

  #isoNow(): string {
    return new Date(this.#now()).toISOString();
  }

  #record(objectType: DirectoryChange["objectType"], id: string, kind: DirectoryChangeKind, memberId?: string): void {
    const change: DirectoryChange = {
      sequence: this.#changes.length + 1,
      at: this.#isoNow(),
      objectType,
      id,
      kind,
      ...(memberId === undefined ? {} : { memberId }),
    };
    this.#changes.push(change);
    for (const listener of this.#listeners) listener(change);
  }
}
