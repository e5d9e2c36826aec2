// Picks a free private address for a new session from the gateway's vpnClientAddressPool (first IPv4 prefix).
import { objectAt } from "./json";
import type { JsonObject } from "./json";

const FALLBACK_POOL = "172.16.201.0/24";

export function nextClientAddress(resource: JsonObject, used: ReadonlySet<string>): string {
  const pool = objectAt(
    objectAt(objectAt(resource, "properties") ?? {}, "vpnClientConfiguration") ?? {},
    "vpnClientAddressPool",
  );
  const prefixes = pool?.["addressPrefixes"];
  const first = Array.isArray(prefixes)
    ? prefixes.find((p): p is string => typeof p === "string" && p.includes("."))
    : undefined;
  const [base, bits] = parsePrefix(first ?? FALLBACK_POOL) ?? parsePrefix(FALLBACK_POOL) ?? [0, 24];
  const size = 2 ** (32 - bits);
  // Skip the network address; stop before the broadcast address.
  for (let offset = 1; offset < size - 1; offset++) {
    const address = formatIpv4(base + offset);
    if (!used.has(address)) return address;
  }
  throw new Error("The VPN client address pool is exhausted");
}

function parsePrefix(prefix: string): [number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(prefix.trim());
  if (match === null) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits > 30) return undefined;
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const blockSize = 2 ** (32 - bits);
  return [value - (value % blockSize), bits];
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}
