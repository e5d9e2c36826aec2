// Addresses the app must never call out to (callbacks): anything that is not a public unicast address. Checked on
// every DNS answer at send time, so a public name that resolves to an internal address is refused as well.
import { BlockList, isIP } from "node:net";

// [address, prefix length, why].
const IPV4: readonly (readonly [string, number, string])[] = [
  ["0.0.0.0", 8, "this network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved or broadcast"],
];

// Prefixes that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo, IPv4-compatible) are refused whole: where
// they lead cannot be told from the IPv6 rules, and no public callback receiver needs them.
const IPV6: readonly (readonly [string, number, string])[] = [
  ["::", 96, "unspecified, loopback or IPv4-compatible"],
  ["::ffff:0:0", 96, "IPv4-mapped"],
  ["64:ff9b::", 96, "NAT64"],
  ["64:ff9b:1::", 48, "local NAT64"],
  ["100::", 64, "discard"],
  ["2001::", 32, "Teredo"],
  ["2001:db8::", 32, "documentation"],
  ["2002::", 16, "6to4"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local"],
  ["ff00::", 8, "multicast"],
];

// One list per rule, to name the rule that matched. Each family is checked against its own rules only: node's
// BlockList matches IPv4 text against IPv6 rules through the mapped form (8.8.8.8 is "in" ::ffff:0:0/96).
const rulesOf = (family: "ipv4" | "ipv6", table: typeof IPV4) =>
  table.map(([address, prefix, why]) => {
    const list = new BlockList();
    list.addSubnet(address, prefix, family);
    return { why, list };
  });
const IPV4_RULES = rulesOf("ipv4", IPV4);
const IPV6_RULES = rulesOf("ipv6", IPV6);
// Outside 2000::/3 nothing is assigned as global unicast.
const [GLOBAL_UNICAST] = rulesOf("ipv6", [["2000::", 3, "global unicast"]]);

/**
 * Why an address (as DNS answers it: dotted IPv4 or IPv6 text) must not be called, or undefined for a public unicast
 * address. Text that is no IP address at all is refused too.
 */
export function forbiddenAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return "not an IP address";
  const type = family === 4 ? "ipv4" : "ipv6";
  const why = (family === 4 ? IPV4_RULES : IPV6_RULES).find((rule) => rule.list.check(address, type))?.why;
  if (why !== undefined || family === 4) return why;
  return GLOBAL_UNICAST?.list.check(address, "ipv6") === true ? undefined : "not global unicast";
}
