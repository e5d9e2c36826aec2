// Connected P2S sessions as getVpnclientConnectionHealth reports them (VpnClientConnectionHealthDetail).
import { randomUUID } from "node:crypto";
import type { JsonObject } from "./json";

export type VpnSessionProtocol = "IKEv2" | "OpenVPN" | "SSTP";

/** What a test or the sandbox says about a session; everything but the user name has a realistic default. */
export interface VpnSessionSeed {
  vpnUserName: string;
  protocol?: VpnSessionProtocol;
  vpnConnectionId?: string;
  publicIpAddress?: string;
  privateIpAddress?: string;
  connectedAt?: Date | string;
  maxBandwidth?: number;
  egressPacketsTransferred?: number;
  egressBytesTransferred?: number;
  ingressPacketsTransferred?: number;
  ingressBytesTransferred?: number;
  maxPacketsPerSecond?: number;
}

export interface VpnSession {
  readonly vpnConnectionId: string;
  readonly vpnUserName: string;
  readonly publicIpAddress: string;
  readonly privateIpAddress: string;
  readonly connectedAtMs: number;
  readonly maxBandwidth: number;
  readonly egressPacketsTransferred: number;
  readonly egressBytesTransferred: number;
  readonly ingressPacketsTransferred: number;
  readonly ingressBytesTransferred: number;
  readonly maxPacketsPerSecond: number;
}

export function createSession(
  seed: VpnSessionSeed,
  nowMs: number,
  privateIpAddress: string,
  ordinal: number,
): VpnSession {
  if (seed.vpnUserName.trim() === "") throw new Error("A VPN session needs a vpnUserName");
  const connectedAtMs = seed.connectedAt === undefined ? nowMs : new Date(seed.connectedAt).getTime();
  if (Number.isNaN(connectedAtMs)) throw new Error(`Invalid connectedAt for VPN session: ${String(seed.connectedAt)}`);
  const packets = seed.egressPacketsTransferred ?? 500 + ordinal;
  return {
    vpnConnectionId: seed.vpnConnectionId ?? `${seed.protocol ?? "IKEv2"}_${randomUUID()}`,
    vpnUserName: seed.vpnUserName,
    // 203.0.113.0/24 is TEST-NET-3: documentation addresses that never route anywhere.
    publicIpAddress: seed.publicIpAddress ?? `203.0.113.${(ordinal % 250) + 1}:${40000 + ordinal}`,
    privateIpAddress: seed.privateIpAddress ?? privateIpAddress,
    connectedAtMs,
    maxBandwidth: seed.maxBandwidth ?? 240_000_000,
    egressPacketsTransferred: packets,
    egressBytesTransferred: seed.egressBytesTransferred ?? packets * 60,
    ingressPacketsTransferred: seed.ingressPacketsTransferred ?? packets,
    ingressBytesTransferred: seed.ingressBytesTransferred ?? packets * 60,
    maxPacketsPerSecond: seed.maxPacketsPerSecond ?? 4,
  };
}

/** One VpnClientConnectionHealthDetail; times are UTC without a zone suffix, as the service writes them. */
export function healthDetail(session: VpnSession, nowMs: number): JsonObject {
  return {
    vpnConnectionId: session.vpnConnectionId,
    vpnConnectionDuration: Math.max(0, Math.floor((nowMs - session.connectedAtMs) / 1000)),
    vpnConnectionTime: new Date(session.connectedAtMs).toISOString().slice(0, 19),
    publicIpAddress: session.publicIpAddress,
    privateIpAddress: session.privateIpAddress,
    vpnUserName: session.vpnUserName,
    maxBandwidth: session.maxBandwidth,
    egressPacketsTransferred: session.egressPacketsTransferred,
    egressBytesTransferred: session.egressBytesTransferred,
    ingressPacketsTransferred: session.ingressPacketsTransferred,
    ingressBytesTransferred: session.ingressBytesTransferred,
    maxPacketsPerSecond: session.maxPacketsPerSecond,
  };
}
