// The emulated vault's certificates: create (Self or pending), the pending operation, merge, versions, properties,
// policy, and soft delete (deleted but recoverable, recover, purge). Names compare case-insensitively.
import type { CertificatePolicy, WirePolicy } from "./policy";
import { isSelfIssuer, isUnknownIssuer, mergePolicy, newPolicy } from "./policy";
import type {
  CertificateOperation,
  CertificateRecord,
  CertificateVersion,
  DeletedCertificate,
  LatestRule,
} from "./records";
import { currentVersion, findVersion } from "./records";
import { createVersion, verifyMergedChain } from "./issuance";
import { RsaKeyPool } from "./key-material";
import { VaultError, badParameter, deletedButRecoverable, notFound } from "./vault-error";

const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
/** Key Vault objects take at most 15 tags (about-secrets; a 16th answers 400), names up to 512, values up to 256. */
const MAX_TAGS = 15;
const MAX_TAG_NAME = 512;
const MAX_TAG_VALUE = 256;
const DAY_SECONDS = 24 * 60 * 60;

export interface CertificateStoreOptions {
  /** Milliseconds since the epoch; the emulator's clock. */
  readonly now: () => number;
  /** Soft-delete retention, 7 to 90 days in Azure; default 90. */
  readonly retentionDays?: number;
}

export interface CreateRequest {
  readonly policy: WirePolicy | undefined;
  readonly enabled: boolean | undefined;
  readonly tags: Record<string, string> | undefined;
}

export interface PropertiesUpdate {
  readonly enabled: boolean | undefined;
  readonly tags: Record<string, string> | undefined;
  readonly policy: WirePolicy | undefined;
}

/** Behaviours Key Vault does not document, switchable so the app can be tested against either reading. */
export interface VaultBehaviour {
  /** Which version GET without a version (certificate, key, secret) and reuseKey take; default "newestIssued". */
  readonly latest: LatestRule;
  /**
   * Whether a merge whose body carries no tags keeps the tags the create gave the version (default true). With
   * false, such a merge leaves the version without tags; tags sent in the merge body are applied either way.
   */
  readonly mergeKeepsCreateTags: boolean;
  /**
   * Status reads (GET pending) after a "Self" create that still answer inProgress before the certificate is in
   * place; default 1. Key Vault answers a Self create inProgress (spec example CreateCertificate-example) and a
   * create meanwhile gets 409; how long it lasts is not documented, so reads stand for "a moment" (a virtual clock
   * never stalls it). 0 completes at once.
   */
  readonly selfCreatePendingReads: number;
  /**
   * 409 Conflict answers each new pending operation gives first to a merge or a cancellation ("conflict while
   * updating pending certificate") and to a delete ("conflict while deleting the pending certificate"); default 1.
   * Key Vault answers them when operations on a pending certificate overlap (azure-sdk-for-js #35011, #24086); when
   * exactly is not documented, so the first try of each always gets one. 0 turns them off.
   */
  readonly pendingConflicts: number;
}

export const DEFAULT_VAULT_BEHAVIOUR: VaultBehaviour = {
  latest: "newestIssued",
  mergeKeepsCreateTags: true,
  selfCreatePendingReads: 1,
  pendingConflicts: 1,
};

const SEQUENTIAL_HINT =
  "This can happen when multiple operations are performed in parallel against the pending certificate. To avoid this error, perform operations against the pending certificate in a sequential manner.";

export interface VersionRef {
  readonly record: CertificateRecord;
  readonly version: CertificateVersion;
}

export class CertificateStore {
  readonly #active = new Map<string, CertificateRecord>();
  readonly #deleted = new Map<string, DeletedCertificate>();
  /** Names with a create under way (key generation is asynchronous): a parallel create gets 409. */
  readonly #creating = new Set<string>();
  readonly #now: () => number;
  readonly retentionDays: number;
  behaviour: VaultBehaviour = DEFAULT_VAULT_BEHAVIOUR;
  /** New versions' keys: prepared ones first (RsaKeyPool). */
  readonly keys = new RsaKeyPool();

  constructor(options: CertificateStoreOptions) {
    this.#now = options.now;
    this.retentionDays = options.retentionDays ?? 90;
  }

  nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  async create(
    name: string,
    request: CreateRequest,
  ): Promise<{ record: CertificateRecord; operation: CertificateOperation }> {
    validateName(name);
    const key = name.toLowerCase();
    if (this.#deleted.has(key)) throw deletedButRecoverable("Certificate", name);
    const existing = this.#active.get(key);
    if (this.#creating.has(key) || existing?.operation?.status === "inProgress") {
      throw new VaultError(
        409,
        "Conflict",
        `Certificate ${name} has a pending operation in progress. Complete, cancel or delete it before creating a new version; operations on a pending certificate must be made one at a time.`,
      );
    }
    const nowSeconds = this.nowSeconds();
    let policy: CertificatePolicy;
    if (request.policy !== undefined) {
      policy = { ...newPolicy(request.policy, nowSeconds), created: existing?.policy.created ?? nowSeconds };
    } else if (existing !== undefined) {
      policy = existing.policy;
    } else {
      throw badParameter("Property policy is required to create the first version of a certificate.");
    }
    if (!isSelfIssuer(policy.issuerName) && !isUnknownIssuer(policy.issuerName)) {
      throw badParameter(
        `Issuer '${policy.issuerName}' is not configured in this vault: the emulator issues with "Self" and "Unknown" only.`,
      );
    }
    validateTags(request.tags);
    const previous = existing === undefined ? undefined : this.latest(existing);
    this.#creating.add(key);
    try {
      const created = await createVersion(policy, {
        nowMs: this.#now(),
        reuseKey: policy.reuseKey ? previous?.key : undefined,
        keys: this.keys,
        enabled: request.enabled ?? true,
        tags: request.tags ?? {},
        selfPendingReads: this.behaviour.selfCreatePendingReads,
        pendingConflicts: this.behaviour.pendingConflicts,
      });
      const record: CertificateRecord = existing ?? { name, policy, versions: [], operation: undefined };
      record.policy = policy;
      record.versions.push(created.version);
      record.operation = created.operation;
      this.#active.set(key, record);
      return { record, operation: created.operation };
    } finally {
      this.#creating.delete(key);
    }
  }

  /** The active record, if any. */
  find(name: string): CertificateRecord | undefined {
    return this.#active.get(name.toLowerCase());
  }

  /** The record, or 404; a soft-deleted name is not found here either. */
  record(name: string): CertificateRecord {
    const record = this.#active.get(name.toLowerCase());
    if (record === undefined) throw notFound("Certificate", name);
    return record;
  }

  /** A version by id, or the current one for "" (the SDK's "latest"). */
  version(name: string, version: string): VersionRef {
    const record = this.record(name);
    const found = version === "" ? this.latest(record) : findVersion(record, version);
    if (found === undefined) throw notFound("Certificate", name, version);
    return { record, version: found };
  }

  /** The version "latest" addresses, under the configured rule. */
  latest(record: CertificateRecord): CertificateVersion | undefined {
    return currentVersion(record, this.behaviour.latest);
  }

  operation(name: string): { record: CertificateRecord; operation: CertificateOperation } {
    const record = this.record(name);
    if (record.operation === undefined) {
      throw new VaultError(404, "PendingCertificateNotFound", `Pending certificate not found: ${name}`);
    }
    return { record, operation: record.operation };
  }

  /** The operation as a status read sees it: a "Self" create in progress completes once its reads are spent. */
  readOperation(name: string): { record: CertificateRecord; operation: CertificateOperation } {
    const found = this.operation(name);
    const { record, operation } = found;
    const self = operation.selfIssue;
    if (self === undefined || operation.status !== "inProgress") return found;
    if (self.readsLeft > 0) {
      self.readsLeft -= 1;
      return found;
    }
    const version = findVersion(record, operation.version);
    if (version !== undefined) {
      version.issued = self.issued;
      version.enabled = self.enabled;
      version.updated = this.nowSeconds();
    }
    operation.selfIssue = undefined;
    operation.status = "completed";
    operation.statusDetails = "";
    return found;
  }

  cancelOperation(name: string, cancellationRequested: boolean): CertificateOperation {
    const { operation } = this.operation(name);
    if (operation.status !== "inProgress") {
      throw new VaultError(403, "Forbidden", "Pending status must be in progress to allow update.");
    }
    conflict(operation, "updating", `There was a conflict while updating pending certificate '${name}'.`);
    if (cancellationRequested) {
      operation.cancellationRequested = true;
      operation.status = "cancelled";
      operation.statusDetails = "Certificate request was cancelled.";
    }
    return operation;
  }

  /** Removes the operation object only: a pending version it created stays, as Key Vault's does. */
  deleteOperation(name: string): CertificateOperation {
    const { record, operation } = this.operation(name);
    if (operation.status === "inProgress") {
      conflict(operation, "deleting", `There was a conflict while deleting the pending certificate '${name}'.`);
    }
    record.operation = undefined;
    return operation;
  }

  merge(
    name: string,
    chain: readonly Buffer[],
    options: { readonly enabled: boolean | undefined; readonly tags: Record<string, string> | undefined },
  ): VersionRef {
    const record = this.record(name);
    const operation = record.operation;
    const pending = operation === undefined ? undefined : findVersion(record, operation.version);
    if (
      operation?.status !== "inProgress" ||
      operation.selfIssue !== undefined ||
      pending?.issued !== undefined ||
      pending === undefined
    ) {
      throw new VaultError(403, "Forbidden", `Certificate ${name} has no pending request in progress to merge.`);
    }
    validateTags(options.tags);
    conflict(operation, "updating", `There was a conflict while updating pending certificate '${name}'.`);
    pending.issued = verifyMergedChain(chain, pending.key);
    pending.enabled = options.enabled ?? true;
    if (options.tags !== undefined) pending.tags = { ...options.tags };
    else if (!this.behaviour.mergeKeepsCreateTags) pending.tags = {};
    pending.updated = this.nowSeconds();
    operation.status = "completed";
    operation.statusDetails = "";
    return { record, version: pending };
  }

  update(name: string, version: string, update: PropertiesUpdate): VersionRef {
    const ref = this.version(name, version);
    validateTags(update.tags);
    const nowSeconds = this.nowSeconds();
    if (update.enabled !== undefined) ref.version.enabled = update.enabled;
    if (update.tags !== undefined) ref.version.tags = { ...update.tags };
    if (update.policy !== undefined) ref.record.policy = mergePolicy(ref.record.policy, update.policy, nowSeconds);
    ref.version.updated = nowSeconds;
    return ref;
  }

  updatePolicy(name: string, patch: WirePolicy): CertificateRecord {
    const record = this.record(name);
    record.policy = mergePolicy(record.policy, patch, this.nowSeconds());
    return record;
  }

  /** Active records; those with nothing issued yet only when asked for pending ones. */
  list(includePending: boolean): CertificateRecord[] {
    return [...this.#active.values()].filter(
      (record) => includePending || record.versions.some((version) => version.issued !== undefined),
    );
  }

  delete(name: string): DeletedCertificate {
    const record = this.record(name);
    const deletedDate = this.nowSeconds();
    const deleted: DeletedCertificate = {
      record,
      deletedDate,
      scheduledPurgeDate: deletedDate + this.retentionDays * DAY_SECONDS,
    };
    this.#active.delete(name.toLowerCase());
    this.#deleted.set(name.toLowerCase(), deleted);
    return deleted;
  }

  deleted(name: string): DeletedCertificate {
    const deleted = this.#deleted.get(name.toLowerCase());
    if (deleted === undefined) throw notFound("Certificate", name);
    return deleted;
  }

  listDeleted(includePending: boolean): DeletedCertificate[] {
    return [...this.#deleted.values()].filter(
      (deleted) => includePending || deleted.record.versions.some((version) => version.issued !== undefined),
    );
  }

  recover(name: string): CertificateRecord {
    const deleted = this.deleted(name);
    this.#deleted.delete(name.toLowerCase());
    this.#active.set(name.toLowerCase(), deleted.record);
    return deleted.record;
  }

  purge(name: string): void {
    this.deleted(name);
    this.#deleted.delete(name.toLowerCase());
  }

  /** Forgets everything (tests). */
  clear(): void {
    this.#active.clear();
    this.#deleted.clear();
  }
}

/** Answers the operation's next scheduled 409 Conflict of that kind, if any is left. */
function conflict(operation: CertificateOperation, kind: "updating" | "deleting", message: string): void {
  if (operation.conflictsLeft[kind] <= 0) return;
  operation.conflictsLeft[kind] -= 1;
  throw new VaultError(409, "Conflict", `${message} ${SEQUENTIAL_HINT}`);
}

function validateName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw badParameter(
      `The certificate name '${name}' is invalid: use 1 to 127 characters, letters, digits and dashes only.`,
    );
  }
}

function validateTags(tags: Readonly<Record<string, string>> | undefined): void {
  if (tags === undefined) return;
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw badParameter(`Property tags has invalid value: at most ${MAX_TAGS} tags.`);
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > MAX_TAG_NAME || value.length > MAX_TAG_VALUE) {
      throw badParameter(
        `Property tags has invalid value: tag names take 1 to ${MAX_TAG_NAME} characters, values up to ${MAX_TAG_VALUE}.`,
      );
    }
  }
}
