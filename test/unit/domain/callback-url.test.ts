// The static checks of callback URLs and the address ranges refused at send time.
import fc from "fast-check";
import { checkCallbackUrl } from "../../../src/domain/callback-url";
import { forbiddenAddress } from "../../../src/domain/address-ranges";

const ALLOW = ["https://hooks.contoso.com", "https://tickets.fabrikam.net:8443"];

const refused = (raw: string, allowlist: readonly string[] = ALLOW): string => {
  const check = checkCallbackUrl(raw, allowlist);
  if (check.ok) throw new Error(`${raw} was accepted`);
  return check.reason;
};

/** Every way a URL may write an IPv4 address that the WHATWG parser (and so fetch) reads as that address. */
function ipv4Spellings([a, b, c, d]: readonly [number, number, number, number]): string[] {
  const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  return [
    `${a}.${b}.${c}.${d}`,
    String(n),
    `0x${n.toString(16)}`,
    `0${n.toString(8)}`,
    [a, b, c, d].map((x) => `0${x.toString(8)}`).join("."),
    [a, b, c, d].map((x) => `0x${x.toString(16)}`).join("."),
    `${a}.${(b << 16) + (c << 8) + d}`,
    `${a}.${b}.${(c << 8) + d}`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::${a}.${b}.${c}.${d}]`,
    `[64:ff9b::${a}.${b}.${c}.${d}]`,
  ];
}

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet);

describe("checkCallbackUrl", () => {
  it("accepts an https URL whose origin is allowlisted, and answers it normalised", () => {
    expect(checkCallbackUrl("https://HOOKS.contoso.com/api/ticket?id=INC1", ALLOW)).toEqual({
      ok: true,
      url: "https://hooks.contoso.com/api/ticket?id=INC1",
    });
    expect(checkCallbackUrl("https://hooks.contoso.com:443/x", ALLOW)).toEqual({
      ok: true,
      url: "https://hooks.contoso.com/x",
    });
    expect(checkCallbackUrl("https://tickets.fabrikam.net:8443/cb", ALLOW).ok).toBe(true);
  });

  it("refuses other schemes, credentials, fragments, unparsable and overlong URLs", () => {
    expect(refused("http://hooks.contoso.com/x")).toMatch(/https/);
    expect(refused("ftp://hooks.contoso.com/x")).toMatch(/https/);
    expect(refused("https://user:pw@hooks.contoso.com/x")).toMatch(/credentials/);
    expect(refused("https://user@hooks.contoso.com/x")).toMatch(/credentials/);
    expect(refused("https://:pw@hooks.contoso.com/x")).toMatch(/credentials/);
    expect(refused("https://hooks.contoso.com/x#frag")).toMatch(/fragment/);
    expect(refused("/relative/path")).toMatch(/absolute/);
    expect(refused(`https://hooks.contoso.com/${"a".repeat(2100)}`)).toMatch(/at most/);
  });

  it("refuses origins outside the allowlist: other host, port, scheme, a suffix trick or a trailing dot", () => {
    for (const raw of [
      "https://evil.example.org/x",
      "https://hooks.contoso.com:8443/x",
      "https://tickets.fabrikam.net/cb",
      "https://hooks.contoso.com.evil.org/x",
      "https://evilhooks.contoso.com/x",
      "https://hooks.contoso.com./x",
    ]) {
      expect(refused(raw)).toMatch(/TICKETING_CALLBACK_ALLOWLIST/);
    }
    expect(refused("https://hooks.contoso.com/x", [])).toMatch(/TICKETING_CALLBACK_ALLOWLIST/);
  });

  it("refuses IP literals in every notation even when the allowlist names them", () => {
    for (const host of [
      "127.0.0.1",
      "2130706433",
      "0x7f000001",
      "017700000001",
      "0177.0.0.1",
      "127.1",
      "[::1]",
      "[::ffff:127.0.0.1]",
      "[::ffff:7f00:1]",
      "[fe80::1]",
      "[fd00::1]",
      "8.8.8.8",
      "[2606:4700:4700::1111]",
      "%31%32%37.0.0.1",
    ]) {
      const raw = `https://${host}/cb`;
      expect(refused(raw, [...ALLOW, new URL(raw).origin])).toMatch(/IP address/);
    }
  });

  it("refuses any IPv4 address in any URL spelling (property)", () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        for (const host of ipv4Spellings(address)) {
          const raw = `https://${host}/cb`;
          const origin = new URL(raw).origin;
          const check = checkCallbackUrl(raw, [...ALLOW, origin]);
          expect(check).toEqual({ ok: false, reason: "callbackUrl must name a host, not an IP address" });
        }
      }),
    );
  });

  it("refuses any IPv6 literal (property)", () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const raw = `https://[${address}]/cb`;
        expect(checkCallbackUrl(raw, [...ALLOW, new URL(raw).origin]).ok).toBe(false);
      }),
    );
  });

  it("refuses localhost-like, special-use and single-label names even when allowlisted", () => {
    for (const host of [
      "localhost",
      "LOCALHOST",
      "localhost.",
      "api.localhost",
      "localhost.localdomain",
      "localhost.contoso.com",
      "printer.local",
      "metadata.google.internal",
      "router.home.arpa",
      "1.0.0.127.in-addr.arpa",
      "intranet",
      "hooks.test",
    ]) {
      const raw = `https://${host}/cb`;
      expect(refused(raw, [...ALLOW, new URL(raw).origin])).toMatch(/localhost|fully qualified|must not be a \./);
    }
  });

  it("takes a URL of exactly 2048 characters and refuses one character more", () => {
    const base = "https://hooks.contoso.com/";
    const longest = `${base}${"a".repeat(2048 - base.length)}`;
    expect(checkCallbackUrl(longest, ALLOW)).toEqual({ ok: true, url: longest });
    expect(refused(`${longest}a`)).toBe("callbackUrl must be at most 2048 characters");
  });

  it("judges a name with a trailing dot as the same name, and the special-use names themselves", () => {
    const reasonFor = (host: string): string => {
      const raw = `https://${host}/cb`;
      return refused(raw, [...ALLOW, new URL(raw).origin]);
    };
    expect(reasonFor("hooks")).toBe("callbackUrl must be a fully qualified domain name");
    expect(reasonFor("hooks.")).toBe("callbackUrl must be a fully qualified domain name");
    expect(reasonFor("printer.local.")).toBe("callbackUrl must not be a .local name");
    expect(reasonFor("home.arpa")).toBe("callbackUrl must not be a .home.arpa name");
    expect(reasonFor("ip6.arpa.")).toBe("callbackUrl must not be a .ip6.arpa name");
    // Digits and dots the URL parser leaves as a name (not an IPv4 address) are still no host name.
    expect(reasonFor("1.2.3.4..")).toBe("callbackUrl must name a host, not an IP address");
  });

  it("accepts the sandbox's loopback names only when loopback is allowed, and still only from the allowlist", () => {
    const local = ["https://localhost:7443", "https://127.0.0.1:7443", "https://[::1]:7443"];
    for (const origin of local) {
      expect(checkCallbackUrl(`${origin}/cb`, local).ok).toBe(false);
      expect(checkCallbackUrl(`${origin}/cb`, local, { loopbackAllowed: true })).toEqual({
        ok: true,
        url: `${origin}/cb`,
      });
      expect(checkCallbackUrl(`${origin}/cb`, ALLOW, { loopbackAllowed: true }).ok).toBe(false);
    }
    // Loopback in the sandbox means those three names, not any IP address.
    for (const raw of ["https://10.0.0.1/cb", "https://[fe80::1]/cb", "https://127.0.0.2/cb"]) {
      expect(checkCallbackUrl(raw, [new URL(raw).origin], { loopbackAllowed: true }).ok).toBe(false);
    }
    expect(checkCallbackUrl("http://localhost:7443/cb", ["https://localhost:7443"], { loopbackAllowed: true }).ok).toBe(
      false,
    );
  });

  it("accepts allowlisted public names (property)", () => {
    fc.assert(
      fc.property(fc.domain(), fc.webPath(), (domain, path) => {
        const origin = new URL(`https://${domain}`).origin;
        const check = checkCallbackUrl(`${origin}${path}`, [origin]);
        const host = new URL(origin).hostname;
        const special =
          /(^|\.)(localhost|local|localdomain|internal|intranet|lan|home\.arpa|arpa|test|invalid|example|onion)$/;
        if (host.includes(".") && !special.test(host) && !host.startsWith("localhost") && !/^[0-9.]+$/.test(host)) {
          expect(check.ok).toBe(true);
        }
      }),
    );
  });
});

describe("forbiddenAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.20.30.40", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["0.0.0.0", "this network"],
    ["0.255.1.1", "this network"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "reserved or broadcast"],
    ["::1", "unspecified, loopback or IPv4-compatible"],
    ["::", "unspecified, loopback or IPv4-compatible"],
    ["::ffff:127.0.0.1", "IPv4-mapped"],
    ["::ffff:7f00:1", "IPv4-mapped"],
    ["::ffff:8.8.8.8", "IPv4-mapped"],
    ["fe80::1", "link-local"],
    ["FE80::abcd%eth0", "link-local"],
    ["fd12:3456::1", "unique-local"],
    ["fc00::1", "unique-local"],
    ["ff02::1", "multicast"],
    ["64:ff9b::a00:1", "NAT64"],
    ["2002:7f00:1::1", "6to4"],
    ["2001:0:4136::1", "Teredo"],
    ["4000::1", "not global unicast"],
    ["hooks.contoso.com", "not an IP address"],
  ])("refuses %s (%s)", (address, why) => {
    expect(forbiddenAddress(address)).toBe(why);
  });

  it.each(["8.8.8.8", "20.50.2.1", "172.32.0.1", "100.128.0.1", "11.0.0.1", "2606:4700:4700::1111", "2a01:111::1"])(
    "accepts the public address %s",
    (address) => {
      expect(forbiddenAddress(address)).toBeUndefined();
    },
  );

  it("refuses every address of the private, loopback, link-local and CGNAT ranges (property)", () => {
    const inRange = (first: number, secondMin: number, secondMax: number) =>
      fc
        .tuple(fc.integer({ min: secondMin, max: secondMax }), octet, octet)
        .map(([b, c, d]) => `${String(first)}.${String(b)}.${String(c)}.${String(d)}`);
    fc.assert(
      fc.property(
        fc.oneof(
          inRange(10, 0, 255),
          inRange(127, 0, 255),
          inRange(172, 16, 31),
          inRange(192, 168, 168),
          inRange(169, 254, 254),
          inRange(100, 64, 127),
          inRange(0, 0, 255),
        ),
        (address) => {
          expect(forbiddenAddress(address)).toBeDefined();
          expect(forbiddenAddress(`::ffff:${address}`)).toBeDefined();
        },
      ),
    );
  });
});
