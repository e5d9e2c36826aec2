// Delta queries on the directory's change log: /v1.0/groups/delta (with $filter=id eq '...' and $select=members,
// membership changes in members@delta, removals with @removed) and /v1.0/users/delta ($select). A round starts with a
// full snapshot (or none with $deltatoken=latest), pages through @odata.nextLink ($skiptoken) and ends with an
// @odata.deltaLink ($deltatoken) that later answers what changed since. Tokens are opaque to clients, expire after
// 7 days (directory objects) or when a control expires them all, and then answer 410: the client must start over.
import { jsonResponse, route } from "../framework";
import type { EmulatorClock, EmulatorRequest, EmulatorResponse, EmulatorRoute } from "../framework";
import type { Directory, DirectoryChange } from "./directory";
import { badRequest } from "./graph-reply";

const METADATA = "https://graph.microsoft.com/v1.0/$metadata";
/** Directory delta tokens last 7 days. */
export const DELTA_TOKEN_LIFETIME_MS = 7 * 24 * 3_600_000;

interface DeltaState {
  /** Which epoch of tokens (a control bumps it to expire every token). */
  readonly e: number;
  readonly kind: "groups" | "users";
  readonly filter: readonly string[] | null;
  readonly select: readonly string[];
  /** Changes after this sequence are reported (undefined: a full snapshot round). */
  readonly from: number | null;
  /** The sequence the round answers up to. */
  readonly to: number;
  readonly offset: number;
  readonly issuedAt: number;
}

const USER_PROPERTIES = ["id", "userPrincipalName", "displayName", "accountEnabled", "mail"];
const GROUP_PROPERTIES = ["id", "displayName", "mailNickname", "securityEnabled", "members"];

export class DeltaTokens {
  #epoch = 0;
  /** Every token issued so far answers 410 from now on. */
  expireAll(): void {
    this.#epoch += 1;
  }
  get epoch(): number {
    return this.#epoch;
  }
}

function encode(state: DeltaState): string {
  return Buffer.from(JSON.stringify(state)).toString("base64url");
}

function decode(token: string): DeltaState | undefined {
  try {
    const state = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<DeltaState> | null;
    return typeof state?.to === "number" && typeof state.kind === "string" ? (state as DeltaState) : undefined;
  } catch {
    return undefined;
  }
}

function parseFilter(filter: string | null): string[] | null | EmulatorResponse {
  if (filter === null) return null;
  const ids: string[] = [];
  for (const clause of filter.split(/\s+or\s+/i)) {
    const match = /^\s*id\s+eq\s+'([0-9a-f-]{36})'\s*$/i.exec(clause);
    if (match?.[1] === undefined) return badRequest("Request_UnsupportedQuery", `Unsupported filter: '${filter}'.`);
    ids.push(match[1].toLowerCase());
  }
  // Graph takes at most 50 ids in a groups delta filter.
  if (ids.length > 50) return badRequest("Request_UnsupportedQuery", "At most 50 ids may be filtered on.");
  return ids;
}

function parseSelect(select: string | null, allowed: readonly string[]): string[] | EmulatorResponse {
  if (select === null) return allowed.filter((p) => p !== "members");
  const chosen: string[] = [];
  for (const raw of select.split(",")) {
    const name = allowed.find((p) => p.toLowerCase() === raw.trim().toLowerCase());
    if (name === undefined) return badRequest("BadRequest", `Could not find a property named '${raw.trim()}'.`);
    if (!chosen.includes(name)) chosen.push(name);
  }
  return chosen;
}

/** The last change per object after `from` (a delta reports final state, not every step). */
function lastChanges(changes: readonly DirectoryChange[], key: (c: DirectoryChange) => string): DirectoryChange[] {
  const last = new Map<string, DirectoryChange>();
  for (const change of changes) last.set(key(change), change);
  return [...last.values()];
}

function memberEntry(directory: Directory, id: string, removed: boolean): Record<string, unknown> {
  const type = directory.group(id) !== undefined ? "#microsoft.graph.group" : "#microsoft.graph.user";
  // **guess**: a removed member is reported with reason "deleted" (Graph documents changed|deleted).
  return { "@odata.type": type, id, ...(removed ? { "@removed": { reason: "deleted" } } : {}) };
}

function groupItems(directory: Directory, state: DeltaState, pageSize: number): Record<string, unknown>[] {
  const wanted = (id: string): boolean => state.filter === null || state.filter.includes(id);
  const props = state.select.filter((p) => p !== "members");
  const withMembers = state.select.includes("members");
  const items: Record<string, unknown>[] = [];
  const push = (id: string, base: Record<string, unknown>, members: Record<string, unknown>[] | undefined): void => {
    if (members === undefined || members.length <= pageSize) {
      items.push({ ...base, ...(members === undefined ? {} : { "members@delta": members }) });
      return;
    }
    // A group with many members is spread over several items (and pages), as Graph does.
    for (let i = 0; i < members.length; i += pageSize) {
      items.push({ ...(i === 0 ? base : { id }), "members@delta": members.slice(i, i + pageSize) });
    }
  };
  const propsOf = (id: string): Record<string, unknown> => {
    const group = directory.group(id);
    const all: Record<string, unknown> = { ...group, id };
    return Object.fromEntries([["id", id], ...props.map((p): [string, unknown] => [p, all[p] ?? null])]);
  };
  if (state.from === null) {
    for (const group of directory.groups().filter((g) => wanted(g.id))) {
      const members = withMembers ? [...group.members].map((m) => memberEntry(directory, m, false)) : undefined;
      push(group.id, propsOf(group.id), members);
    }
    return items;
  }
  const changes = directory.changes(state.from).filter((c) => c.sequence <= state.to && c.objectType === "group");
  const touched = [...new Set(changes.filter((c) => wanted(c.id)).map((c) => c.id))];
  for (const id of touched) {
    if (directory.group(id) === undefined) {
      items.push({ id, "@removed": { reason: "changed" } });
      continue;
    }
    const memberChanges = lastChanges(
      changes.filter((c) => c.id === id && c.memberId !== undefined),
      (c) => c.memberId ?? "",
    );
    const members = memberChanges.map((c) => memberEntry(directory, c.memberId ?? "", c.kind === "memberRemoved"));
    const propertyChange = changes.some((c) => c.id === id && (c.kind === "updated" || c.kind === "created"));
    if (members.length === 0 && !(propertyChange && props.length > 1)) continue;
    push(id, propsOf(id), withMembers ? members : undefined);
  }
  return items;
}

function userItems(directory: Directory, state: DeltaState): Record<string, unknown>[] {
  const view = (id: string): Record<string, unknown> => {
    const user = directory.user(id);
    const all: Record<string, unknown> = { ...user };
    return Object.fromEntries([["id", id], ...state.select.map((p): [string, unknown] => [p, all[p] ?? null])]);
  };
  if (state.from === null) return directory.users().map((u) => view(u.id));
  const changes = directory
    .changes(state.from)
    .filter((c) => c.sequence <= state.to && c.objectType === "user" && c.memberId === undefined);
  return lastChanges(changes, (c) => c.id).map((c) =>
    // **guess**: a deleted user is soft-deleted, which users delta reports with reason "changed".
    directory.user(c.id) === undefined ? { id: c.id, "@removed": { reason: "changed" } } : view(c.id),
  );
}

export function deltaRoutes(
  directory: Directory,
  tokens: DeltaTokens,
  clock: EmulatorClock,
  pageSize = 20,
): EmulatorRoute[] {
  const answer = (kind: "groups" | "users", request: EmulatorRequest): EmulatorResponse => {
    // Graph's query option names are case-insensitive ($deltaToken, $deltatoken).
    const query = new Map([...request.query].map(([name, value]) => [name.toLowerCase(), value]));
    const deltaToken = query.get("$deltatoken");
    const token = deltaToken ?? query.get("$skiptoken") ?? null;
    const latest = deltaToken?.toLowerCase() === "latest";
    const now = clock.now();
    const current = directory.changes().at(-1)?.sequence ?? 0;
    let state: DeltaState;
    if (token !== null && !latest) {
      const decoded = decode(token);
      if (decoded?.kind !== kind) return badRequest("BadRequest", "The delta or skip token is invalid.");
      if (decoded.e !== tokens.epoch || now - decoded.issuedAt > DELTA_TOKEN_LIFETIME_MS) {
        // **guess** as to code and message: Graph answers an expired directory delta token with 410 Gone.
        return {
          status: 410,
          body: {
            error: { code: "resyncRequired", message: "The delta token has expired; start a full synchronization." },
          },
        };
      }
      // A deltaLink's token starts a new round over what changed since; a skiptoken continues its round.
      state =
        deltaToken !== undefined ? { ...decoded, from: decoded.to, to: current, offset: 0, issuedAt: now } : decoded;
    } else {
      const filter = parseFilter(query.get("$filter") ?? null);
      if (filter !== null && !Array.isArray(filter)) return filter;
      if (kind === "users" && filter !== null) return badRequest("Request_UnsupportedQuery", "Unsupported filter.");
      const select = parseSelect(query.get("$select") ?? null, kind === "groups" ? GROUP_PROPERTIES : USER_PROPERTIES);
      if (!Array.isArray(select)) return select;
      state = {
        e: tokens.epoch,
        kind,
        filter,
        select,
        from: latest ? current : null,
        to: current,
        offset: 0,
        issuedAt: now,
      };
    }
    const items = kind === "groups" ? groupItems(directory, state, pageSize) : userItems(directory, state);
    // A page holds up to pageSize users, or one group item of up to pageSize members.
    const perPage = kind === "groups" && state.select.includes("members") ? 1 : pageSize;
    const page = items.slice(state.offset, state.offset + perPage);
    const done = state.offset + perPage >= items.length;
    const link = done
      ? {
          "@odata.deltaLink": `${request.baseUrl}/v1.0/${kind}/delta?$deltatoken=${encode({ ...state, offset: 0, issuedAt: now })}`,
        }
      : {
          "@odata.nextLink": `${request.baseUrl}/v1.0/${kind}/delta?$skiptoken=${encode({ ...state, offset: state.offset + perPage })}`,
        };
    return jsonResponse(200, {
      "@odata.context": `${METADATA}#${kind}(${state.select.join(",")})`,
      ...link,
      value: page,
    });
  };
  return [
    route({
      method: "GET",
      path: "/v1.0/groups/delta",
      operation: "groups.delta",
      handler: (r) => answer("groups", r),
    }),
    route({ method: "GET", path: "/v1.0/users/delta", operation: "users.delta", handler: (r) => answer("users", r) }),
  ];
}
