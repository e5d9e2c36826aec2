// The package check before publishing: folders, unsafe names, entry and size limits, and zip bombs whose headers lie.
import { createHash } from "node:crypto";
import { zipSync } from "fflate";
import { DEFAULT_PACKAGE_LIMITS, inspectProfilePackage, isSafeEntryName } from "../../../src/domain/profile-package";

const SETTINGS = `<?xml version="1.0"?><VpnProfile><VpnServer>azuregateway-1.vpn.azure.com</VpnServer>
<CaCert>AAECAwQ=</CaCert><ServerCertRootCn>DigiCert Global Root G2</ServerCertRootCn></VpnProfile>`;

function zip(files: Record<string, string | Uint8Array>): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, content] of Object.entries(files)) {
    entries[name] = typeof content === "string" ? new TextEncoder().encode(content) : content;
  }
  return zipSync(entries, { level: 9 });
}

const GOOD = {
  "AzureVPN/azurevpnconfig.xml": "<AzVpnProfile/>",
  "Generic/VpnSettings.xml": SETTINGS,
  "OpenVPN/vpnconfig.ovpn": "client",
};

describe("inspectProfilePackage", () => {
  it("accepts a package with the expected folders and reads the server root", () => {
    const result = inspectProfilePackage(zip(GOOD), { openVpn: true });
    expect(result).toEqual({
      ok: true,
      contents: {
        entries: Object.keys(GOOD).sort(),
        folders: ["AzureVPN", "Generic", "OpenVPN"],
        serverRoot: {
          commonName: "DigiCert Global Root G2",
          certificateSha256: createHash("sha256")
            .update(Buffer.from([0, 1, 2, 3, 4]))
            .digest("hex"),
        },
      },
    });
  });

  it("refuses a package without OpenVPN/ when the gateway offers OpenVPN, and without Generic/", () => {
    const { "OpenVPN/vpnconfig.ovpn": _, ...noOpenVpn } = GOOD;
    expect(inspectProfilePackage(zip(noOpenVpn), { openVpn: true })).toEqual({
      ok: false,
      reason: "missing folder(s) OpenVPN",
    });
    expect(inspectProfilePackage(zip(noOpenVpn), { openVpn: false }).ok).toBe(true);
    const { "Generic/VpnSettings.xml": __, ...noGeneric } = GOOD;
    expect(inspectProfilePackage(zip(noGeneric), { openVpn: true })).toMatchObject({ ok: false });
  });

  it.each(["../evil.xml", "Generic/../../evil.xml", "/etc/passwd", "C:/evil.xml", "Generic\\..\\evil.xml"])(
    "refuses the path-traversing name %s",
    (name) => {
      const result = inspectProfilePackage(zip({ ...GOOD, [name]: "x" }), { openVpn: true });
      expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/unsafe entry name/) as string });
    },
  );

  it("tells safe names from unsafe ones", () => {
    expect(isSafeEntryName("AzureVPN/azurevpnconfig.xml")).toBe(true);
    expect(isSafeEntryName("Generic/")).toBe(true);
    expect(isSafeEntryName("a/./b")).toBe(false);
    expect(isSafeEntryName("a//b")).toBe(false);
  });

  it("refuses too many entries", () => {
    const many: Record<string, string> = { ...GOOD };
    for (let i = 0; i < DEFAULT_PACKAGE_LIMITS.maxEntries; i++) many[`Generic/extra-${i}.txt`] = "x";
    expect(inspectProfilePackage(zip(many), { openVpn: true })).toMatchObject({
      ok: false,
      reason: `more than ${DEFAULT_PACKAGE_LIMITS.maxEntries} entries`,
    });
  });

  it("refuses a zip bomb by its declared size", () => {
    const bomb = zip({ ...GOOD, "Generic/bomb.bin": new Uint8Array(4 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(20_000);
    expect(inspectProfilePackage(bomb, { openVpn: true })).toMatchObject({
      ok: false,
      reason: "Generic/bomb.bin is too large",
    });
  });

  it("stops a zip bomb whose headers lie about its size while inflating it", () => {
    const bomb = Buffer.from(zip({ ...GOOD, "Generic/bomb.bin": new Uint8Array(4 * 1024 * 1024) }));
    // Rewrite the uncompressed size in every local and central header of the bomb to 1 KiB.
    for (let at = bomb.indexOf("Generic/bomb.bin"); at >= 0; at = bomb.indexOf("Generic/bomb.bin", at + 1)) {
      if (bomb.readUInt32LE(at - 30) === 0x04034b50) bomb.writeUInt32LE(1024, at - 30 + 22);
      if (bomb.readUInt32LE(at - 46) === 0x02014b50) bomb.writeUInt32LE(1024, at - 46 + 24);
    }
    expect(inspectProfilePackage(bomb, { openVpn: true })).toMatchObject({
      ok: false,
      reason: "Generic/bomb.bin inflates past its limit",
    });
  });

  it("refuses bytes that are no zip, and settings without a server root", () => {
    expect(inspectProfilePackage(Buffer.from("<html>sign in</html>"), { openVpn: false })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^not a readable zip/) as string,
    });
    const noRoot = zip({ ...GOOD, "Generic/VpnSettings.xml": "<VpnProfile/>" });
    expect(inspectProfilePackage(noRoot, { openVpn: true })).toMatchObject({
      ok: false,
      reason: "Generic/VpnSettings.xml names no ServerCertRootCn",
    });
  });
});
