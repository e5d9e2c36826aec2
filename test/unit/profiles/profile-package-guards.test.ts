// Each guard of the package check on its own. Every rule exists twice (the central directory is read first, then the
// local headers while inflating), so a zip whose two views agree tests only the first copy: these zips make the views
// disagree, put each limit at its value exactly and one past it, and expect the reason of the copy that must refuse.
import { createHash, randomBytes } from "node:crypto";
import { inspectProfilePackage, isSafeEntryName } from "../../../src/domain/profile-package";
import type { PackageLimits } from "../../../src/domain/profile-package";
import { rawZip } from "./raw-zip";
import type { CentralEntry, LocalEntry } from "./raw-zip";

const settings = (inner: string): string => `<VpnProfile>${inner}</VpnProfile>`;
const SETTINGS = settings("<CaCert>AAECAwQ=</CaCert><ServerCertRootCn>Root G2</ServerCertRootCn>");

const AZURE: LocalEntry = { name: "AzureVPN/azurevpnconfig.xml", content: "<AzVpnProfile/>" };
const GENERIC: LocalEntry = { name: "Generic/VpnSettings.xml", content: SETTINGS };
const OPENVPN: LocalEntry = { name: "OpenVPN/vpnconfig.ovpn", content: "client" };
const GOOD: readonly LocalEntry[] = [AZURE, GENERIC, OPENVPN];

const LIMITS: PackageLimits = { maxEntries: 4, maxEntryBytes: 1000, maxTotalBytes: 2000 };
const small = (n: number): number => GOOD.reduce((sum, e) => sum + Buffer.byteLength(e.content), 0) + n;

function inspect(locals: readonly LocalEntry[], central?: readonly CentralEntry[], limits?: PackageLimits) {
  return inspectProfilePackage(rawZip(locals, central), { openVpn: true }, limits);
}

function reasonOf(locals: readonly LocalEntry[], central?: readonly CentralEntry[], limits?: PackageLimits): string {
  const result = inspect(locals, central, limits);
  if (result.ok) throw new Error(`the package was accepted: ${result.contents.entries.join(", ")}`);
  return result.reason;
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

describe("the package's entries and folders", () => {
  it("lists entries and folders sorted whatever the order of the zip and of its central directory", () => {
    const result = inspect([OPENVPN, GENERIC, AZURE]);
    expect(result).toMatchObject({
      ok: true,
      contents: {
        entries: ["AzureVPN/azurevpnconfig.xml", "Generic/VpnSettings.xml", "OpenVPN/vpnconfig.ovpn"],
        folders: ["AzureVPN", "Generic", "OpenVPN"],
      },
    });
  });

  it("refuses a zip whose entries and central directory name different files", () => {
    const hidden: LocalEntry = { name: "Generic/hidden.txt", content: "x" };
    const expected = "the zip's entries do not match its central directory";
    expect(reasonOf([...GOOD, hidden], [{ local: 0 }, { local: 1 }, { local: 2 }])).toBe(expected);
    expect(reasonOf(GOOD, [{ local: 0 }, { local: 1 }, { local: 2 }, { local: 0, name: "Generic/ghost.txt" }])).toBe(
      expected,
    );
  });

  it("counts a folder present only as a directory entry as missing, and names every missing folder", () => {
    const locals = [{ name: "AzureVPN/", content: "" }, GENERIC];
    expect(reasonOf(locals)).toBe("missing folder(s) AzureVPN, OpenVPN");
  });

  it("refuses Generic/ without VpnSettings.xml", () => {
    expect(reasonOf([AZURE, { name: "Generic/other.xml", content: SETTINGS }, OPENVPN])).toBe(
      "missing Generic/VpnSettings.xml",
    );
  });

  it("reads stored and deflated entries, and refuses a compression method it cannot inflate", () => {
    expect(inspect([AZURE, { ...GENERIC, method: 8 }, OPENVPN]).ok).toBe(true);
    const central = [{ local: 0 }, { local: 1 }, { local: 2, method: 99 }];
    expect(reasonOf(GOOD, central)).toBe("OpenVPN/vpnconfig.ovpn: unsupported compression method 99");
  });
});

describe("isSafeEntryName", () => {
  it("takes names of up to 255 characters, spaces and a trailing slash", () => {
    expect(isSafeEntryName(`Generic/${"a".repeat(247)}`)).toBe(true);
    expect(isSafeEntryName(`Generic/${"a".repeat(248)}`)).toBe(false);
    expect(isSafeEntryName("Generic/my settings.xml")).toBe(true);
    expect(isSafeEntryName("Generic/sub/")).toBe(true);
  });

  it("refuses an empty name, control characters anywhere, and dot segments before a trailing slash", () => {
    expect(isSafeEntryName("")).toBe(false);
    expect(isSafeEntryName("Generic/a\u001fb.xml")).toBe(false);
    expect(isSafeEntryName("\u0001Generic/a.xml")).toBe(false);
    expect(isSafeEntryName("Generic/a.xml\u0000")).toBe(false);
    expect(isSafeEntryName("Generic/../")).toBe(false);
    expect(isSafeEntryName("./")).toBe(false);
  });
});

describe("each rule of the central directory and of the local headers on its own", () => {
  it("refuses an unsafe name in the central directory alone", () => {
    expect(reasonOf(GOOD, [{ local: 0 }, { local: 1 }, { local: 2, name: "../evil.ovpn" }])).toBe(
      'unsafe entry name "../evil.ovpn"',
    );
  });

  it("refuses an unsafe name in a local header alone, before inflating the entries after it", () => {
    // The entry after the unsafe one is a corrupt deflate stream: reading the central directory must not inflate it.
    const corrupt: LocalEntry = { name: "Generic/corrupt.bin", content: "x", method: 8, data: Buffer.from([0xff]) };
    const locals = [AZURE, GENERIC, { ...OPENVPN, name: "../evil.ovpn" }, corrupt];
    const central = [{ local: 0 }, { local: 1 }, { local: 2, name: OPENVPN.name }, { local: 3 }];
    expect(reasonOf(locals, central)).toBe('unsafe entry name "../evil.ovpn"');
  });

  it("refuses names that differ only in case in the central directory, but not names a case fold would join", () => {
    const locals = [...GOOD, { name: "Generic/a.txt", content: "1" }, { name: "generic/A.TXT", content: "2" }];
    expect(reasonOf(locals)).toBe("duplicate entry names");
    const german = [
      ...GOOD,
      { name: "Generic/straße.txt", content: "1" },
      { name: "Generic/strasse.txt", content: "2" },
    ];
    expect(inspect(german).ok).toBe(true);
  });

  it("refuses a name twice among the local headers though the central directory lists two", () => {
    const twice: LocalEntry = { name: "Generic/a.txt", content: "1" };
    const central = [{ local: 0 }, { local: 1 }, { local: 2 }, { local: 3 }, { local: 4, name: "Generic/b.txt" }];
    expect(reasonOf([...GOOD, twice, twice], central)).toBe("duplicate entry names");
  });

  it("takes exactly the entry limit, and refuses one more in either view", () => {
    const extra = (i: number): LocalEntry => ({ name: `Generic/extra-${i}.txt`, content: "x" });
    expect(inspect([...GOOD, extra(1)], undefined, LIMITS).ok).toBe(true);
    expect(reasonOf([...GOOD, extra(1), extra(2)], undefined, LIMITS)).toBe("more than 4 entries");
    // Five records over three local entries: only the central directory has too many.
    const fiveRecords = [
      { local: 0 },
      { local: 1 },
      { local: 2 },
      { local: 0, name: "a/x" },
      { local: 0, name: "a/y" },
    ];
    expect(reasonOf(GOOD, fiveRecords, LIMITS)).toBe("more than 4 entries");
    // Five local entries, four of them listed: only the local headers have too many.
    const fourRecords = [{ local: 0 }, { local: 1 }, { local: 2 }, { local: 3 }];
    expect(reasonOf([...GOOD, extra(1), extra(2)], fourRecords, LIMITS)).toBe("more than 4 entries");
  });

  it("takes an entry of exactly the size limit and all entries of exactly the total limit", () => {
    const big = (name: string, size: number): LocalEntry => ({ name, content: Buffer.alloc(size, 0x61) });
    const atLimits = [...GOOD, big("Generic/big.bin", LIMITS.maxEntryBytes)];
    expect(inspect(atLimits, undefined, { ...LIMITS, maxTotalBytes: small(LIMITS.maxEntryBytes) }).ok).toBe(true);
    expect(reasonOf([...GOOD, big("Generic/big.bin", LIMITS.maxEntryBytes + 1)], undefined, LIMITS)).toBe(
      "Generic/big.bin is too large",
    );
    const overTotal = [...GOOD, big("Generic/big.bin", 990)];
    expect(reasonOf(overTotal, undefined, { ...LIMITS, maxTotalBytes: small(989) })).toBe(
      "the entries are too large together",
    );
  });

  it("counts what entries inflate to when their headers lie, entry by entry and all together", () => {
    const lying = (name: string, size: number): LocalEntry => ({
      name,
      content: Buffer.alloc(size, 0x61),
      method: 8,
      declaredSize: 10,
    });
    const atLimits = [...GOOD, lying("Generic/lie.bin", LIMITS.maxEntryBytes)];
    expect(inspect(atLimits, undefined, { ...LIMITS, maxTotalBytes: small(LIMITS.maxEntryBytes) }).ok).toBe(true);
    expect(reasonOf([...GOOD, lying("Generic/lie.bin", LIMITS.maxEntryBytes + 1)], undefined, LIMITS)).toBe(
      "Generic/lie.bin inflates past its limit",
    );
    const overTotal = [...GOOD, lying("Generic/lie.bin", 990)];
    expect(reasonOf(overTotal, undefined, { ...LIMITS, maxTotalBytes: small(989) })).toBe(
      "the entries inflate past the total limit",
    );
  });

  it("names the first entry that inflates past its limit, not a later one", () => {
    const lying = (name: string): LocalEntry => ({ name, content: Buffer.alloc(1500), method: 8, declaredSize: 10 });
    expect(
      reasonOf([lying("Generic/first.bin"), lying("Generic/second.bin"), ...GOOD], undefined, {
        ...LIMITS,
        maxEntries: 64,
      }),
    ).toBe("Generic/first.bin inflates past its limit");
  });

  it("answers the inflater's own error for a corrupt deflate stream", () => {
    const corrupt: LocalEntry = { name: "Generic/corrupt.bin", content: "x", method: 8, data: Buffer.from([0xff]) };
    expect(reasonOf([...GOOD, corrupt])).toBe("not a readable zip: invalid block type");
  });
});

describe("a package larger than one pushed chunk (16 KiB)", () => {
  const noise = (name: string, size: number): LocalEntry => ({ name, content: randomBytes(size) });

  it("reads every entry of a package several chunks long, and of one exactly two chunks long", () => {
    const big = noise("OpenVPN/big.bin", 40_000);
    const result = inspect([AZURE, GENERIC, big, OPENVPN]);
    expect(result).toMatchObject({ ok: true, contents: { entries: expect.arrayContaining([big.name]) as string[] } });
    const fixed = rawZip([AZURE, GENERIC, OPENVPN, { name: "Generic/pad.bin", content: "" }]).length;
    const exact = rawZip([AZURE, GENERIC, OPENVPN, noise("Generic/pad.bin", 32 * 1024 - fixed)]);
    expect(exact.length).toBe(32 * 1024);
    expect(inspectProfilePackage(exact, { openVpn: true }).ok).toBe(true);
  });

  it("refuses a zip whose last entry claims more bytes than the zip holds, also when it ends on a chunk's end", () => {
    // The last chunk is pushed as final, so the inflater reports the missing bytes instead of waiting for them.
    const overrun: LocalEntry = { ...OPENVPN, compressedSize: 20_000 };
    expect(reasonOf([AZURE, GENERIC, overrun])).toBe("not a readable zip: invalid zip data");
    const fixed = rawZip([AZURE, GENERIC, { name: "Generic/pad.bin", content: "" }, overrun]).length;
    const exact = rawZip([AZURE, GENERIC, noise("Generic/pad.bin", 32 * 1024 - fixed), overrun]);
    expect(exact.length).toBe(32 * 1024);
    expect(inspectProfilePackage(exact, { openVpn: true })).toEqual({
      ok: false,
      reason: "not a readable zip: invalid zip data",
    });
  });

  it("stops at the first failure and reads no further chunk", () => {
    // The bomb fails in the first chunk; an unsafe local name two chunks later must not be what is reported.
    const bomb: LocalEntry = { name: "Generic/bomb.bin", content: Buffer.alloc(4000), method: 8, declaredSize: 10 };
    const noises = Array.from({ length: 14 }, (_, i) => noise(`Generic/noise-${i}.bin`, 2900));
    const locals = [bomb, ...noises, ...GOOD.slice(0, 2), { ...OPENVPN, name: "../x" }];
    const central = locals.map((entry, local) => ({ local, name: entry.name === "../x" ? OPENVPN.name : entry.name }));
    expect(reasonOf(locals, central, { maxEntries: 64, maxEntryBytes: 3000, maxTotalBytes: 100_000 })).toBe(
      "Generic/bomb.bin inflates past its limit",
    );
  });
});

describe("the server root in Generic/VpnSettings.xml", () => {
  const withSettings = (xml: string) => inspect([AZURE, { ...GENERIC, content: xml }, OPENVPN]);
  const rootOf = (xml: string) => {
    const result = withSettings(xml);
    if (!result.ok) throw new Error(result.reason);
    return result.contents.serverRoot;
  };
  const CN = "<ServerCertRootCn>Root G2</ServerCertRootCn>";

  it("trims the root's name and unescapes the XML entities in it, &amp; last", () => {
    const name = " A &lt;B&gt; &quot;C&quot; &apos;D&apos; &amp; E &amp;lt; ";
    expect(rootOf(settings(`<ServerCertRootCn>${name}</ServerCertRootCn>`)).commonName).toBe(`A <B> "C" 'D' & E &lt;`);
  });

  it("refuses an empty or blank root name", () => {
    for (const name of ["", "  "]) {
      expect(withSettings(settings(`<ServerCertRootCn>${name}</ServerCertRootCn>`))).toEqual({
        ok: false,
        reason: "Generic/VpnSettings.xml names no ServerCertRootCn",
      });
    }
  });

  it("gives no certificate hash when CaCert is absent or empty", () => {
    expect(rootOf(settings(CN))).toEqual({ commonName: "Root G2", certificateSha256: "" });
    expect(rootOf(settings(`<CaCert></CaCert>${CN}`)).certificateSha256).toBe("");
  });

  it("hashes a CaCert broken over lines, with either padding", () => {
    const der = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const lines = der.toString("base64").replace(/(.{8})/g, "$1\r\n ");
    expect(lines).toMatch(/==$/);
    expect(rootOf(settings(`<CaCert>${lines}</CaCert>${CN}`)).certificateSha256).toBe(sha256(der));
    expect(rootOf(settings(`<CaCert>AAECAw==</CaCert>${CN}`)).certificateSha256).toBe(
      sha256(Buffer.from([0, 1, 2, 3])),
    );
  });

  it.each(["AAEC*AwQ=", "!AAECAwQ=", "AAECAwQ=!", "AAECAw==="])("refuses the CaCert %s", (caCert) => {
    expect(withSettings(settings(`<CaCert>${caCert}</CaCert>${CN}`))).toEqual({
      ok: false,
      reason: "Generic/VpnSettings.xml CaCert is not base64",
    });
  });
});
