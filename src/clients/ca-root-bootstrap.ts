// The root bootstrap: a root CA whose key is made non-exportable in Key Vault and only ever used through keys/sign.
// Every step is resumable and checked against what Key Vault holds (its versions and the pending operation).
import type { CertificatePolicy } from "@azure/keyvault-certificates";
import type { LockGuard } from "./blob-lease-lock";
import { BOOTSTRAP_COMPLETE, BOOTSTRAP_TAG, CaStateError, ROOT_TAGS } from "./ca-model";
import type { CaConfig, RootCa } from "./ca-model";
import { findRoot, isComplete, isTemporary, locateRoot, readVersions } from "./ca-root-versions";
import type { LocatedRoot, RootVersion } from "./ca-root-versions";
import {
  beginOrResume,
  createOrResumePending,
  discardOperation,
  ensureTags,
  isStatus,
  mergeVerified,
  OPERATION_POLL_MS,
} from "./key-vault-certificate-ops";
import { keyVaultSigner } from "./key-vault-signer";
import type { KeyVaultClients } from "./keyvault";
import { describeCertificate } from "../domain/certificate-info";
import { certificateSpki, csrSpki, samePublicKey } from "../domain/public-key";
import { buildRootCertificate } from "../domain/root-certificate";
import { generateSerialNumber } from "../domain/serial-number";
import { rootValidity } from "../domain/validity";

/** Serialises the bootstrap across app instances (blob-lease-lock.ts); the guard says whether it is still held. */
export interface BootstrapLock {
  run<T>(
    work: (guard: LockGuard) => Promise<T>,
    options?: { readonly poll?: () => Promise<T | undefined> },
  ): Promise<T>;
}

const UNGUARDED: LockGuard = { assertHeld: () => undefined };

/**
 * Creates the root CA when absent, with a key that never leaves Key Vault. Key Vault cannot self-sign a CA
 * (its self-signed certificates are CA:FALSE) and a pending certificate's key cannot sign, so the bootstrap has
 * three steps, each resumable and each checked from what Key Vault holds (its versions and the pending operation),
 * never from which version it calls "latest":
 *  1. a temporary self-signed version makes the non-exportable RSA key usable;
 *  2. a CSR-flow version with reuseKey carries the same key material, pending (its CSR's key is checked);
 *  3. the root (CA:TRUE, pathlen 0) is built here, signed with the step-1 key through keys/sign, merged with its
 *     tags and verified (CA:TRUE, its public key the key's);
 *  4. only then are the temporary versions disabled, and the root is marked complete (tag bootstrap=complete).
 * A root not yet marked complete sends the next call down the bootstrap path, which finishes what is left. With
 * `lock`, one caller at a time bootstraps (across instances); the others wait for its root.
 */
export async function ensureRootCa(
  kv: KeyVaultClients,
  config: CaConfig,
  now: Date,
  options: { readonly lock?: BootstrapLock } = {},
): Promise<RootCa> {
  return (await ensureRootCaDetailed(kv, config, now, options)).root;
}

export interface EnsuredRoot {
  readonly root: RootCa;
  /** True when this call ran (or finished) the bootstrap. */
  readonly bootstrapped: boolean;
}

/** ensureRootCa, saying whether this call did the bootstrap (to audit it). */
export async function ensureRootCaDetailed(
  kv: KeyVaultClients,
  config: CaConfig,
  now: Date,
  options: { readonly lock?: BootstrapLock } = {},
): Promise<EnsuredRoot> {
  const name = config.CA_ROOT_NAME;
  const existing = await locateRoot(kv, name);
  if (isComplete(existing)) return { root: existing.root, bootstrapped: false };
  const bootstrap = async (guard: LockGuard): Promise<EnsuredRoot> => {
    const again = await locateRoot(kv, name);
    if (isComplete(again)) return { root: again.root, bootstrapped: false };
    return { root: await bootstrapRoot(kv, config, now, guard), bootstrapped: true };
  };
  const { lock } = options;
  if (lock === undefined) return bootstrap(UNGUARDED);
  return lock.run(bootstrap, {
    // While another instance holds the lock, its root may appear: take it instead of waiting for the lock.
    poll: async () => {
      const located = await locateRoot(kv, name);
      return isComplete(located) ? { root: located.root, bootstrapped: false } : undefined;
    },
  });
}

interface PendingCsr {
  readonly csr: Uint8Array;
  /** The CSR's SubjectPublicKeyInfo: the pending version's key. */
  readonly spki: Uint8Array;
}

interface Temporary {
  readonly version: string;
  readonly enabled: boolean;
  readonly keyId: string;
  readonly spki: Uint8Array;
}

async function bootstrapRoot(kv: KeyVaultClients, config: CaConfig, now: Date, guard: LockGuard): Promise<RootCa> {
  const name = config.CA_ROOT_NAME;
  const base: CertificatePolicy = {
    subject: config.CA_ROOT_SUBJECT,
    exportable: false,
    keyType: "RSA",
    keySize: config.CA_ROOT_KEY_SIZE,
    keyUsage: ["keyCertSign", "cRLSign", "digitalSignature"],
    validityInMonths: config.CA_ROOT_VALIDITY_YEARS * 12,
    contentType: "application/x-pem-file",
  };

  // A temporary version's create still in progress (an earlier attempt stopped while Key Vault was making it): let
  // it finish, so its key is found below instead of a second one made.
  await settleSelfCreate(kv, name);
  let versions = await readVersions(kv, name);
  const done = await findRoot(kv, name, versions);
  if (done !== undefined) return finish(kv, name, versions, done, guard);
  refuseUnusableRoot(name, versions);
  let pending = await pendingCsr(kv, name);

  // Step 1: a usable key. The temporary version the pending CSR carries, if any (re-enabled when an earlier attempt
  // retired it too soon); else the newest enabled temporary version; else a new one.
  let temporary = chooseTemporary(versions, pending);
  if (temporary === undefined) {
    if (pending !== undefined) {
      // A CSR over a key no temporary version of ours can sign with: it can never become the root.
      guard.assertHeld();
      await discardOperation(kv, name);
      pending = undefined;
    }
    guard.assertHeld();
    temporary = await createTemporary(kv, config, name, base);
  }
  if (!temporary.enabled) {
    guard.assertHeld();
    await kv.certificates.updateCertificateProperties(name, temporary.version, { enabled: true });
  }

  // Step 2: the CSR over the same key material. reuseKey takes the key of the version Key Vault deems current, which
  // is not documented while other versions are pending: a CSR over any other key is discarded, and on the second
  // miss a fresh temporary version (then surely the newest) is made before the last try.
  const requestCsr = async (): Promise<PendingCsr> => {
    guard.assertHeld();
    const csr = await createOrResumePending(
      kv,
      config,
      name,
      { ...base, issuerName: "Unknown", reuseKey: true },
      ROOT_TAGS,
    );
    return { csr, spki: csrSpki(csr) };
  };
  for (let miss = 0; pending === undefined || !samePublicKey(pending.spki, temporary.spki); miss++) {
    if (pending !== undefined) {
      if (miss >= 3) {
        throw new CaStateError(`the pending root ${name} does not carry the key of version ${temporary.version}`);
      }
      guard.assertHeld();
      await discardOperation(kv, name);
      if (miss === 2) temporary = await createTemporary(kv, config, name, base);
    }
    pending = await requestCsr();
  }

  // Step 3: build and sign the root through keys/sign, merge it with its tags, check it, retire the temporary.
  const der = await buildRootCertificate({
    subject: config.CA_ROOT_SUBJECT,
    publicKey: temporary.spki,
    validity: rootValidity(now, config.CA_ROOT_VALIDITY_YEARS),
    serial: generateSerialNumber(),
    signer: keyVaultSigner(kv, temporary.keyId),
  });
  const signingKey = temporary.spki;
  guard.assertHeld();
  await mergeVerified(kv, name, [der], ROOT_TAGS, async () => {
    const found = await findRoot(kv, name, await readVersions(kv, name));
    return (
      found !== undefined &&
      samePublicKey(certificateSpki(Buffer.from(found.root.publicCertData, "base64")), signingKey)
    );
  });
  versions = await readVersions(kv, name);
  const merged = await findRoot(kv, name, versions);
  if (merged === undefined) throw new CaStateError(`root ${name} is not a verified CA in Key Vault after its merge`);
  return finish(kv, name, versions, merged, guard);
}

/**
 * Step 4: the temporary versions are retired, then the root's tags are checked (put back if the merge dropped them)
 * and the root is marked complete in the same update. A failure in between is finished by the next ensureRootCa,
 * which takes the bootstrap path until the root carries the mark.
 */
async function finish(
  kv: KeyVaultClients,
  name: string,
  versions: readonly RootVersion[],
  located: LocatedRoot,
  guard: LockGuard,
): Promise<RootCa> {
  await retireTemporaries(kv, name, versions, guard);
  guard.assertHeld();
  await ensureTags(kv, name, located.version.version, located.version.tags, {
    ...ROOT_TAGS,
    [BOOTSTRAP_TAG]: BOOTSTRAP_COMPLETE,
  });
  return located.root;
}

function chooseTemporary(versions: readonly RootVersion[], pending: PendingCsr | undefined): Temporary | undefined {
  const temporaries = versions.filter(isTemporary).map((v) => ({
    version: v.version,
    enabled: v.enabled,
    keyId: v.keyId,
    spki: certificateSpki(v.der),
  }));
  const carried = pending === undefined ? undefined : temporaries.find((t) => samePublicKey(t.spki, pending.spki));
  return carried ?? temporaries.find((t) => t.enabled);
}

/** A CA version exists but cannot sign (disabled, or its key is not its certificate's): an operator must decide. */
function refuseUnusableRoot(name: string, versions: readonly RootVersion[]): void {
  const ca = versions.find((v) => v.der !== undefined && describeCertificate(v.der).isCa);
  if (ca === undefined) return;
  throw new CaStateError(
    `root ${name} has a CA version (${ca.version}) that is disabled or unusable: enable it, or delete and purge the ` +
      `certificate to bootstrap a new root`,
    { terminal: true },
  );
}

/** Makes a temporary self-signed version (a new key) and returns it, found among the versions (not as "latest"). */
async function createTemporary(
  kv: KeyVaultClients,
  config: CaConfig,
  name: string,
  base: CertificatePolicy,
): Promise<Temporary> {
  const poller = await beginOrResume(kv, config, name, { ...base, issuerName: "Self", reuseKey: false }, ROOT_TAGS);
  const issuer = poller.getOperationState().certificateOperation?.issuerName;
  if (issuer !== undefined && issuer.toLowerCase() !== "self") {
    // A CSR operation appeared meanwhile (another bootstrap without the lock): never wait on it as if it were ours.
    throw new CaStateError(`a ${issuer} operation is pending on root ${name}; retry once it is settled`);
  }
  await poller.pollUntilDone();
  const newest = (await readVersions(kv, name)).find((v) => v.enabled && isTemporary(v));
  if (newest === undefined || !isTemporary(newest)) {
    throw new CaStateError(`Key Vault holds no usable key for root ${name}`);
  }
  return { version: newest.version, enabled: true, keyId: newest.keyId, spki: certificateSpki(newest.der) };
}

/** Waits until a "Self" operation in progress on `name` (Key Vault answers one inProgress for a moment) is done. */
async function settleSelfCreate(kv: KeyVaultClients, name: string): Promise<void> {
  let poller;
  try {
    poller = await kv.certificates.getCertificateOperation(name, { intervalInMs: OPERATION_POLL_MS });
  } catch (error) {
    if (isStatus(error, 404)) return;
    throw error;
  }
  const operation = poller.getOperationState().certificateOperation;
  if (operation?.status !== "inProgress" || operation.issuerName?.toLowerCase() !== "self") return;
  await poller.pollUntilDone();
}

/** The pending operation's CSR, when a CSR operation is in progress. */
async function pendingCsr(kv: KeyVaultClients, name: string): Promise<PendingCsr | undefined> {
  let operation;
  try {
    operation = (await kv.certificates.getCertificateOperation(name)).getOperationState().certificateOperation;
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
  const csr = operation?.csr;
  if (operation?.status !== "inProgress" || csr === undefined || csr.length === 0) return undefined;
  // A Self operation carries a CSR too, but it is no request for the CA to sign (settleSelfCreate waited for it).
  if (operation.issuerName?.toLowerCase() === "self") return undefined;
  const der = new Uint8Array(csr);
  return { csr: der, spki: csrSpki(der) };
}

/** Disables the enabled temporary versions once the root is verified: their certificates are not CAs. */
async function retireTemporaries(
  kv: KeyVaultClients,
  name: string,
  versions: readonly RootVersion[],
  guard: LockGuard,
): Promise<void> {
  for (const version of versions.filter((v) => v.enabled && isTemporary(v))) {
    guard.assertHeld();
    await kv.certificates.updateCertificateProperties(name, version.version, { enabled: false });
  }
}
