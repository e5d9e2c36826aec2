// Microsoft Graph v1.0 routes the app calls: read a user (by id or userPrincipalName, with $select) and check its
// transitive membership of given groups (checkMemberGroups); read a group. Shapes follow Graph's documentation.
import { jsonResponse, route } from "../framework";
import type { EmulatorResponse, EmulatorRoute } from "../framework";
import type { Directory, DirectoryGroup, DirectoryUser } from "./directory";
import { isGuid } from "./directory";
import { badRequest, resourceNotFound } from "./graph-reply";

/** Graph answers @odata.context with its own host, whatever host the request used. */
const METADATA = "https://graph.microsoft.com/v1.0/$metadata";

/** The properties GET /users/{id} returns without $select (accountEnabled is not among them). */
const USER_DEFAULT_PROPERTIES = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
] as const;

/** The checkMemberGroups limit: "up to a maximum of 20 groups per request". */
export const CHECK_MEMBER_GROUPS_LIMIT = 20;

function userProperties(user: DirectoryUser): Readonly<Record<string, unknown>> {
  const [givenName] = user.displayName.split(" ");
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    givenName: givenName ?? null,
    surname: null,
    mail: user.mail,
    accountEnabled: user.accountEnabled,
    businessPhones: [],
    jobTitle: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    createdDateTime: user.createdDateTime,
    userType: "Member",
  };
}

function groupProperties(group: DirectoryGroup): Readonly<Record<string, unknown>> {
  return {
    id: group.id,
    displayName: group.displayName,
    mailNickname: group.mailNickname,
    mailEnabled: false,
    securityEnabled: group.securityEnabled,
    groupTypes: [],
    createdDateTime: group.createdDateTime,
    description: null,
  };
}

/**
 * Projects an entity onto $select (comma-separated, property names matched case-insensitively, as Graph does), or
 * onto the default properties. An unknown property is a 400, as Graph answers it.
 */
function project(
  entitySet: string,
  type: string,
  all: Readonly<Record<string, unknown>>,
  defaults: readonly string[],
  select: string | null,
): EmulatorResponse {
  if (select === null) {
    return jsonResponse(200, {
      "@odata.context": `${METADATA}#${entitySet}/$entity`,
      ...Object.fromEntries(defaults.map((name) => [name, all[name] ?? null])),
    });
  }
  const byLowerName = new Map(Object.keys(all).map((name) => [name.toLowerCase(), name]));
  const chosen: string[] = [];
  for (const raw of select.split(",")) {
    const name = byLowerName.get(raw.trim().toLowerCase());
    if (name === undefined) {
      return badRequest("BadRequest", `Could not find a property named '${raw.trim()}' on type '${type}'.`);
    }
    if (!chosen.includes(name)) chosen.push(name);
  }
  return jsonResponse(200, {
    "@odata.context": `${METADATA}#${entitySet}(${chosen.join(",")})/$entity`,
    ...Object.fromEntries(chosen.map((name) => [name, all[name]])),
  });
}

function groupIdsOf(body: unknown): string[] | EmulatorResponse {
  const groupIds = (body as { groupIds?: unknown } | undefined)?.groupIds;
  if (!Array.isArray(groupIds) || !groupIds.every((id): id is string => typeof id === "string")) {
    return badRequest("Request_BadRequest", "The request body must carry groupIds, an array of group ids.");
  }
  if (groupIds.length === 0 || groupIds.length > CHECK_MEMBER_GROUPS_LIMIT) {
    return badRequest(
      "Request_BadRequest",
      `groupIds must hold between 1 and ${CHECK_MEMBER_GROUPS_LIMIT} group ids; it holds ${groupIds.length}.`,
    );
  }
  const invalid = groupIds.find((id) => !isGuid(id));
  if (invalid !== undefined) return badRequest("Request_BadRequest", `Invalid GUID: '${invalid}'.`);
  return groupIds;
}

export function graphRoutes(directory: Directory): EmulatorRoute[] {
  return [
    route({
      method: "POST",
      path: "/v1.0/users/{id}/checkMemberGroups",
      operation: "users.checkMemberGroups",
      handler: (request) => {
        const user = directory.user(request.params.id);
        if (user === undefined) return resourceNotFound(request.params.id);
        const groupIds = groupIdsOf(request.body);
        if (!Array.isArray(groupIds)) return groupIds;
        const memberOf = directory.transitiveGroupIds(user.id);
        return jsonResponse(200, {
          "@odata.context": `${METADATA}#Collection(Edm.String)`,
          value: groupIds.filter((id) => memberOf.has(id.toLowerCase())),
        });
      },
    }),
    route({
      method: "GET",
      path: "/v1.0/users/{id}",
      operation: "users.get",
      handler: (request) => {
        const user = directory.user(request.params.id);
        if (user === undefined) return resourceNotFound(request.params.id);
        const select = request.query.get("$select");
        return project("users", "microsoft.graph.user", userProperties(user), USER_DEFAULT_PROPERTIES, select);
      },
    }),
    route({
      method: "GET",
      path: "/v1.0/groups/{id}",
      operation: "groups.get",
      handler: (request) => {
        const group = directory.group(request.params.id);
        if (group === undefined) return resourceNotFound(request.params.id);
        const all = groupProperties(group);
        return project("groups", "microsoft.graph.group", all, Object.keys(all), request.query.get("$select"));
      },
    }),
  ];
}
