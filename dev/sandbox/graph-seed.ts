// The sandbox's directory: the VPN group and the users the README's examples and the tests use, one of each kind the
// VPN group gate tells apart. Scripts make more through POST {graphUrl}/_emulator/users.
import type { GraphEmulator } from "../emulators/graph";

/** Seeded users and what the gate makes of each. */
export const SANDBOX_DIRECTORY = {
  /** Direct members of the VPN group, enabled. */
  members: ["ada@contoso.com", "alice@contoso.com", "bob@contoso.com"],
  /** A member through a nested group (VPN Contractors, itself a member of the VPN group). */
  nestedMember: "carol@contoso.com",
  /** A direct member whose account is disabled. */
  disabled: "dave@contoso.com",
  /** An enabled user outside the VPN group. */
  nonMember: "mallory@contoso.com",
} as const;

export function seedSandboxDirectory(graph: GraphEmulator, extraMembers: readonly string[] = []): void {
  const { directory, vpnGroupId } = graph;
  for (const upn of [...SANDBOX_DIRECTORY.members, ...extraMembers]) {
    directory.upsertUser({ upn });
    directory.addMember(vpnGroupId, upn);
  }
  const contractors = directory.createGroup({ displayName: "VPN Contractors" });
  directory.addMember(vpnGroupId, contractors.id);
  directory.upsertUser({ upn: SANDBOX_DIRECTORY.nestedMember });
  directory.addMember(contractors.id, SANDBOX_DIRECTORY.nestedMember);
  directory.upsertUser({ upn: SANDBOX_DIRECTORY.disabled, accountEnabled: false });
  directory.addMember(vpnGroupId, SANDBOX_DIRECTORY.disabled);
  directory.upsertUser({ upn: SANDBOX_DIRECTORY.nonMember });
}
