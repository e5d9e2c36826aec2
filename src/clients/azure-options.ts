// Options shared by every Azure SDK client: the extra trusted CA (the local emulators' CA, or a sovereign cloud's
// TLS inspection CA) is passed through client options, never by turning verification off.
import { readFileSync } from "node:fs";
import type { Config } from "../config";

const caCache = new Map<string, string>();

export interface TlsClientOptions {
  tlsOptions?: { ca: string };
}

export function tlsClientOptions(config: Pick<Config, "P2S_TRUSTED_CA_FILE">): TlsClientOptions {
  const file = config.P2S_TRUSTED_CA_FILE;
  if (file === undefined) return {};
  let ca = caCache.get(file);
  if (ca === undefined) {
    ca = readFileSync(file, "utf8");
    caCache.set(file, ca);
  }
  return { tlsOptions: { ca } };
}
