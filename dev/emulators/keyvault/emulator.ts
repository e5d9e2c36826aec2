// startKeyVaultEmulator: the Key Vault data plane for certificates (and their keys and secrets) on the emulator
// framework, over HTTPS on loopback, with Key Vault's bearer challenge, its throttling model, and test controls.
import { startEmulator } from "../framework";
import type { EmulatorCa, EmulatorClock, EmulatorFaults, EmulatorStats } from "../framework";
import { systemClock } from "../framework";
import { CertificateStore, DEFAULT_VAULT_BEHAVIOUR } from "./certificate-store";
import type { VaultBehaviour } from "./certificate-store";
import { describeVersion } from "./inspect";
import type { VersionDescription } from "./inspect";
import { certificateRoutes } from "./routes-certificates";
import { deletedCertificateRoutes } from "./routes-deleted";
import { getSecret, keyAndSecretRoutes } from "./routes-keys-secrets";
import { standaloneSecretRoutes } from "./routes-standalone-secrets";
import { StandaloneSecrets } from "./standalone-secrets";
import type { ExpiredSecretReads } from "./standalone-secrets";
import { KeyVaultThrottle } from "./throttle-model";
import type { KeyVaultThrottleLimits, KeyVaultThrottleOptions } from "./throttle-model";

/** The resource Key Vault's challenge names; clients need disableChallengeResourceVerification for 127.0.0.1. */
export const KEY_VAULT_RESOURCE = "https://vault.azure.net";

export interface KeyVaultEmulatorOptions {
  /** The run's local CA (framework createEmulatorCa); clients trust it with tlsOptions: { ca: ca.certPem }. */
  readonly ca: EmulatorCa;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default the documented Key Vault limits; false turns throttling off. */
  readonly throttle?: KeyVaultThrottleOptions | false;
  /** Default the system clock. Drives timestamps, validity, soft-delete dates and throttle windows. */
  readonly clock?: EmulatorClock;
  /** Soft-delete retention in days (recoverableDays, scheduledPurgeDate); default 90. */
  readonly retentionDays?: number;
  /** Tenant named in the challenge's authorization URL. */
  readonly tenantId?: string;
  /** Seed of fault probabilities. */
  readonly randomSeed?: number;
  /** One line per request; default silent. */
  readonly log?: (line: string) => void;
}

export interface KeyVaultThrottleControl {
  /** Replaces limits and scale (and enables throttling), forgetting past requests. */
  configure(options: KeyVaultThrottleOptions): void;
  disable(): void;
  /** Forgets past requests. */
  reset(): void;
  readonly enabled: boolean;
  limits(): KeyVaultThrottleLimits;
}

/** Test-side view of the vault's state. Never exposes private keys. */
export interface KeyVaultInspector {
  /** Active certificate names (as first created). */
  certificateNames(): string[];
  /** Soft-deleted certificate names. */
  deletedCertificateNames(): string[];
  /** A version ("" or omitted: the latest, as GET /certificates/{name} picks it). Throws when absent. */
  describe(name: string, version?: string): VersionDescription;
  /** Forgets every certificate, deleted ones included, and every standalone secret. */
  clear(): void;
  /** Standalone secrets (as first set), not deleted. */
  secretNames(): string[];
  /** Soft-deleted standalone secrets (not yet purged). */
  deletedSecretNames(): string[];
  /** What a get of an expired or not-yet-valid secret answers (default "refused"; see standalone-secrets.ts). */
  setExpiredSecretReads(reads: ExpiredSecretReads): void;
  /** Switches undocumented behaviours (what "latest" means while a version is pending, tags through a merge). */
  configure(behaviour: Partial<VaultBehaviour>): void;
  /** Back to the default behaviours. */
  resetBehaviour(): void;
  behaviour(): VaultBehaviour;
}

export interface KeyVaultEmulator {
  /** https://127.0.0.1:port: the vault URL to give the SDK clients. */
  readonly url: string;
  readonly port: number;
  readonly faults: EmulatorFaults;
  readonly stats: EmulatorStats;
  readonly throttle: KeyVaultThrottleControl;
  readonly vault: KeyVaultInspector;
  /**
   * Generates `count` RSA keys of `size` bits ahead of the creates that will take them (RsaKeyPool): a benchmark's
   * burst of creates is then answered without queueing behind its own key generation.
   */
  prepareKeys(size: 2048 | 3072 | 4096, count: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startKeyVaultEmulator(options: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now();
  const store = new CertificateStore(
    options.retentionDays === undefined ? { now } : { now, retentionDays: options.retentionDays },
  );
  const throttle = new KeyVaultThrottle(now, options.throttle);
  const context = { store, throttle };
  const secrets = new StandaloneSecrets(() => store.nowSeconds(), store.retentionDays);
  const emulator = await startEmulator({
    name: "keyvault",
    ca: options.ca,
    auth:
      options.tenantId === undefined
        ? { mode: "challenge", resource: KEY_VAULT_RESOURCE }
        : { mode: "challenge", resource: KEY_VAULT_RESOURCE, tenantId: options.tenantId },
    // Order matters: literal segments (pending, policy, versions) before the {version} catch-all.
    routes: [
      ...certificateRoutes(context),
      ...deletedCertificateRoutes(context),
      ...standaloneSecretRoutes(context, secrets, getSecret),
      ...keyAndSecretRoutes(context),
    ],
    clock,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.randomSeed === undefined ? {} : { randomSeed: options.randomSeed }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return {
    url: emulator.url,
    port: emulator.port,
    faults: emulator.faults,
    stats: emulator.stats,
    prepareKeys: (size, count) => store.keys.prepare(size, count),
    throttle: {
      configure: (throttleOptions) => {
        throttle.configure(throttleOptions);
      },
      disable: () => {
        throttle.disable();
      },
      reset: () => {
        throttle.reset();
      },
      get enabled() {
        return throttle.enabled;
      },
      limits: () => throttle.limits(),
    },
    vault: {
      certificateNames: () => store.list(true).map((record) => record.name),
      deletedCertificateNames: () => store.listDeleted(true).map((deleted) => deleted.record.name),
      describe: (name, version = "") => {
        const ref = store.version(name, version);
        return describeVersion(ref.record, ref.version);
      },
      clear: () => {
        store.clear();
        secrets.clear();
        secrets.expiredReads = "refused";
      },
      secretNames: () => secrets.names(),
      deletedSecretNames: () => secrets.deletedNames(),
      setExpiredSecretReads: (reads) => {
        secrets.expiredReads = reads;
      },
      configure: (behaviour) => {
        store.behaviour = { ...store.behaviour, ...behaviour };
      },
      resetBehaviour: () => {
        store.behaviour = DEFAULT_VAULT_BEHAVIOUR;
      },
      behaviour: () => store.behaviour,
    },
    stop: () => emulator.stop(),
  };
}
