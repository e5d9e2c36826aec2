// The Graph emulator's controls (no token; never faulted or counted): make and change users and groups, nest groups,
// and read the directory back. `POST /_emulator/users { upn, accountEnabled, member }` is the one scripts use most:
// `member` means a direct member of the VPN group.
import { z } from "zod";
import { emptyResponse, errorResponse, jsonResponse, route } from "../framework";
import type { EmulatorResponse, EmulatorRoute } from "../framework";
import { DirectoryError, isGuid } from "./directory";
import type { Directory, DirectoryUser } from "./directory";

const objectId = z.string().refine(isGuid, "must be an object id (GUID)");
const upn = z
  .string()
  .trim()
  .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "must be a user principal name (name@domain)");

const userInput = z
  .object({
    upn,
    accountEnabled: z.boolean().optional(),
    /** Direct member of the VPN group (true adds, false removes the direct membership); omitted leaves it. */
    member: z.boolean().optional(),
    /** Further groups the user is made a direct member of. */
    groups: z.array(objectId).optional(),
    displayName: z.string().min(1).optional(),
    /** Object id of a new user; default a random GUID. */
    id: objectId.optional(),
  })
  .strict();

const groupInput = z
  .object({
    displayName: z.string().min(1),
    id: objectId.optional(),
    /** Direct members: user UPNs or object ids of users and groups. */
    members: z.array(z.string().min(1)).optional(),
    /** Groups this group is made a direct member of (nesting). */
    memberOf: z.array(objectId).optional(),
  })
  .strict();

const memberInput = z.object({ member: z.string().min(1) }).strict();

function invalid(error: z.ZodError): EmulatorResponse {
  const message = error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
  return errorResponse(400, "InvalidControlRequest", message);
}

/** Runs a directory change; its refusals become 404 or 409. */
function changing(work: () => EmulatorResponse): EmulatorResponse {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof DirectoryError)) throw error;
    return error.reason === "notFound"
      ? errorResponse(404, "NotFound", error.message)
      : errorResponse(409, "Conflict", error.message);
  }
}

function userView(directory: Directory, user: DirectoryUser, vpnGroupId: string): Record<string, unknown> {
  const transitive = directory.transitiveGroupIds(user.id);
  return {
    ...user,
    member: directory.directGroupIds(user.id).has(vpnGroupId),
    transitiveMember: transitive.has(vpnGroupId),
    memberOf: [...directory.directGroupIds(user.id)],
    transitiveMemberOf: [...transitive],
  };
}

export function graphControlRoutes(directory: Directory, vpnGroupId: string): EmulatorRoute[] {
  return [
    route({
      method: "POST",
      path: "/_emulator/users",
      operation: "_emulator.graph.users.upsert",
      handler: (request) => {
        const parsed = userInput.safeParse(request.body);
        if (!parsed.success) return invalid(parsed.error);
        const input = parsed.data;
        return changing(() => {
          // Every group is checked before anything changes, so a refused request changes nothing.
          for (const id of input.groups ?? []) {
            if (directory.group(id) === undefined) throw new DirectoryError("notFound", `no group ${id}`);
          }
          const { user, created } = directory.upsertUser({
            upn: input.upn,
            ...(input.accountEnabled === undefined ? {} : { accountEnabled: input.accountEnabled }),
            ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
            ...(input.id === undefined ? {} : { id: input.id }),
          });
          if (input.member === true) directory.addMember(vpnGroupId, user.id);
          if (input.member === false) directory.removeMember(vpnGroupId, user.id);
          for (const id of input.groups ?? []) directory.addMember(id, user.id);
          return jsonResponse(created ? 201 : 200, userView(directory, user, vpnGroupId));
        });
      },
    }),
    route({
      method: "GET",
      path: "/_emulator/users/{id}",
      operation: "_emulator.graph.users.get",
      handler: (request) => {
        const user = directory.user(request.params.id);
        return user === undefined
          ? errorResponse(404, "NotFound", `no user ${request.params.id}`)
          : jsonResponse(200, userView(directory, user, vpnGroupId));
      },
    }),
    route({
      method: "DELETE",
      path: "/_emulator/users/{id}",
      operation: "_emulator.graph.users.delete",
      handler: (request) =>
        directory.deleteUser(request.params.id)
          ? emptyResponse()
          : errorResponse(404, "NotFound", `no user ${request.params.id}`),
    }),
    route({
      method: "POST",
      path: "/_emulator/groups",
      operation: "_emulator.graph.groups.create",
      handler: (request) => {
        const parsed = groupInput.safeParse(request.body);
        if (!parsed.success) return invalid(parsed.error);
        const input = parsed.data;
        return changing(() => {
          for (const id of input.memberOf ?? []) {
            if (directory.group(id) === undefined) throw new DirectoryError("notFound", `no group ${id}`);
          }
          for (const member of input.members ?? []) {
            if (directory.user(member) === undefined && directory.group(member) === undefined) {
              throw new DirectoryError("notFound", `no user or group ${member}`);
            }
          }
          const group = directory.createGroup({
            displayName: input.displayName,
            ...(input.id === undefined ? {} : { id: input.id }),
          });
          for (const member of input.members ?? []) directory.addMember(group.id, member);
          for (const id of input.memberOf ?? []) directory.addMember(id, group.id);
          return jsonResponse(201, { ...group, members: [...group.members] });
        });
      },
    }),
    route({
      method: "POST",
      path: "/_emulator/groups/{id}/members",
      operation: "_emulator.graph.members.add",
      handler: (request) => {
        const parsed = memberInput.safeParse(request.body);
        if (!parsed.success) return invalid(parsed.error);
        return changing(() => {
          directory.addMember(request.params.id, parsed.data.member);
          return emptyResponse(204);
        });
      },
    }),
    route({
      method: "DELETE",
      path: "/_emulator/groups/{id}/members/{member}",
      operation: "_emulator.graph.members.remove",
      handler: (request) =>
        changing(() =>
          directory.removeMember(request.params.id, request.params.member)
            ? emptyResponse(204)
            : errorResponse(404, "NotFound", `${request.params.member} is no direct member of ${request.params.id}`),
        ),
    }),
    route({
      method: "GET",
      path: "/_emulator/directory",
      operation: "_emulator.graph.directory",
      handler: () =>
        jsonResponse(200, {
          vpnGroupId,
          users: directory.users().map((user) => userView(directory, user, vpnGroupId)),
          groups: directory.groups().map((group) => ({ ...group, members: [...group.members] })),
        }),
    }),
    route({
      method: "GET",
      path: "/_emulator/changes",
      operation: "_emulator.graph.changes",
      handler: (request) => {
        const after = Number(request.query.get("after") ?? "0");
        return jsonResponse(200, { value: directory.changes(Number.isInteger(after) ? after : 0) });
      },
    }),
  ];
}
