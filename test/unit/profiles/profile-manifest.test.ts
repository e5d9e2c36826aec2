// Where profile packages go and which old versions are deleted (src/domain/profile-manifest.ts), and the profile
// regenerator's instance id (src/domain/profile-regenerator-id.ts): pure rules the blob store and the trigger use.
import { createHash } from "node:crypto";
import { gatewayFolder, manifestPath, packagePath, versionsToDelete } from "../../../src/domain/profile-manifest";
import { PROFILE_REGENERATOR_PREFIX, profileRegeneratorInstanceId } from "../../../src/domain/profile-regenerator-id";

const at = (s: number): Date => new Date(Date.UTC(2030, 0, 1, 0, 0, s));

describe("profile package paths", () => {
  it("put a gateway's packages and manifest under its lower-cased name", () => {
    expect(gatewayFolder("GW-West")).toBe("gw-west");
    expect(packagePath("GW-West", "v1a2")).toBe("gw-west/v1a2/vpnprofile.zip");
    expect(manifestPath("GW-West")).toBe("gw-west/latest.json");
  });
});

describe("versionsToDelete", () => {
  const versions = [
    { version: "old", lastModified: at(1) },
    { version: "cur", lastModified: at(2) },
    { version: "mid", lastModified: at(3) },
    { version: "new", lastModified: at(4) },
  ];

  it("keeps the current version, even when it is not the newest, and the newest others up to N in all", () => {
    expect(versionsToDelete(versions, "cur", 2)).toEqual(["mid", "old"]);
    expect(versionsToDelete(versions, "cur", 3)).toEqual(["old"]);
    expect(versionsToDelete(versions, "cur", 1)).toEqual(["new", "mid", "old"]);
    expect(versionsToDelete(versions, "cur", 0)).toEqual(["new", "mid", "old"]);
    expect(versionsToDelete(versions, "cur", 4)).toEqual([]);
    expect(versionsToDelete([...versions].reverse(), "cur", 2)).toEqual(["mid", "old"]);
  });

  it("orders versions written in the same second by name, so the choice does not depend on the listing", () => {
    const tied = [
      { version: "b", lastModified: at(5) },
      { version: "cur", lastModified: at(9) },
      { version: "a", lastModified: at(5) },
      { version: "c", lastModified: at(5) },
    ];
    expect(versionsToDelete(tied, "cur", 2)).toEqual(["b", "c"]);
    expect(versionsToDelete([...tied].reverse(), "cur", 2)).toEqual(["b", "c"]);
  });
});

describe("profileRegeneratorInstanceId", () => {
  const id = "/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/GW_West.01";

  it("is the prefix, the gateway's name made safe, and a hash of the whole lower-cased resource id", () => {
    const hash = createHash("sha256").update(id.toLowerCase()).digest("hex").slice(0, 16);
    expect(PROFILE_REGENERATOR_PREFIX).toBe("profile-regenerator-");
    expect(profileRegeneratorInstanceId(id)).toBe(`profile-regenerator-gw-west-01-${hash}`);
    // ARM ids are case-insensitive: one gateway, one regenerator.
    expect(profileRegeneratorInstanceId(id.toUpperCase())).toBe(profileRegeneratorInstanceId(id));
  });

  it("cuts a long name at 40 characters and tells gateways of the same name apart", () => {
    const long = `${id.slice(0, id.lastIndexOf("/") + 1)}${"g".repeat(60)}`;
    expect(profileRegeneratorInstanceId(long)).toMatch(
      new RegExp(`^profile-regenerator-${"g".repeat(40)}-[0-9a-f]{16}$`),
    );
    const elsewhere = id.replace("rg-net", "rg-other");
    expect(profileRegeneratorInstanceId(elsewhere)).not.toBe(profileRegeneratorInstanceId(id));
  });
});
