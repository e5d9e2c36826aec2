// The addressable key and secret of a certificate version, with Key Vault's refusals: 404 under the key's or the
// secret's own error code, 403 when the certificate (hence its key and secret) is disabled, and for keys an
// operation the key's key_ops do not grant or a time outside its nbf/exp window.
import type { CertificateStore, VersionRef } from "./certificate-store";
import type { KeyOperation } from "./key-material";
import { findVersion } from "./records";
import { VaultError, disabled, notFound } from "./vault-error";

function lookup(store: CertificateStore, kind: "Key" | "Secret", name: string, version: string): VersionRef {
  let ref: VersionRef;
  try {
    const record = store.record(name);
    const found = version === "" ? store.latest(record) : findVersion(record, version);
    if (found === undefined) throw notFound(kind, name, version);
    ref = { record, version: found };
  } catch (error) {
    if (error instanceof VaultError && error.status === 404) throw notFound(kind, name, version);
    throw error;
  }
  // A secret exists only once the certificate is issued; a pending version has a key but no secret yet.
  if (kind === "Secret" && ref.version.issued === undefined) throw notFound(kind, name, version);
  return ref;
}

export function keyFor(
  store: CertificateStore,
  name: string,
  version: string,
  operation: "get" | KeyOperation,
): VersionRef {
  const ref = lookup(store, "Key", name, version);
  if (!ref.version.enabled) throw disabled("Key", operation);
  if (operation === "get") return ref;
  if (!ref.version.keyOperations.includes(operation)) {
    throw new VaultError(403, "Forbidden", `Operation ${operation} is not permitted by the key_ops of this key.`);
  }
  const issued = ref.version.issued;
  const now = store.nowSeconds();
  if (issued !== undefined && (now < issued.notBefore || now > issued.expires)) {
    throw new VaultError(403, "Forbidden", `Operation ${operation} is not allowed outside the key's validity period.`);
  }
  return ref;
}

export function secretFor(store: CertificateStore, name: string, version: string): VersionRef {
  const ref = lookup(store, "Secret", name, version);
  if (!ref.version.enabled) throw disabled("Secret", "get");
  return ref;
}
