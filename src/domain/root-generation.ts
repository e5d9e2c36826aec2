// The names and subjects of the roots a rotation makes. The first root is CA_ROOT_NAME (generation 1); each rotation
// makes the next generation, `${CA_ROOT_NAME}-g<N>`, whose subject's CN carries " G<N>": two trusted roots with one
// subject would leave clients (and openssl) choosing an issuer by name between two keys. Pure.

/** Key Vault object names: letters, digits and dashes, at most 127 characters. */
const KEY_VAULT_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/** The Key Vault certificate name of root generation `generation` (1 is the configured root itself). */
export function rootNameOf(baseName: string, generation: number): string {
  if (!Number.isInteger(generation) || generation < 1) throw new Error(`root generation ${generation} is not valid`);
  const name = generation === 1 ? baseName : `${baseName}-g${generation}`;
  if (!KEY_VAULT_NAME.test(name)) {
    throw new Error(`root name ${name} is not a Key Vault object name (letters, digits, dashes, at most 127)`);
  }
  return name;
}

/** The subject of root generation `generation`: the configured subject, its first CN suffixed " G<N>" from 2 on. */
export function rootSubjectOf(baseSubject: string, generation: number): string {
  if (!Number.isInteger(generation) || generation < 1) throw new Error(`root generation ${generation} is not valid`);
  if (generation === 1) return baseSubject;
  // The CN's value runs to the next comma that is not escaped (RFC 4514).
  const cn = /(^|,)(\s*CN\s*=\s*)((?:[^,\\]|\\.)*)/i.exec(baseSubject);
  if (cn === null) return `CN=P2S Root CA G${generation}, ${baseSubject}`;
  const value = (cn[3] ?? "").replace(/\s+$/, "");
  const start = cn.index + (cn[1] ?? "").length + (cn[2] ?? "").length;
  const end = cn.index + cn[0].length;
  return `${baseSubject.slice(0, start)}${value} G${generation}${baseSubject.slice(end)}`;
}
