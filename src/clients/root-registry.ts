// The root registry (<prefix>Roots): every root the app manages and its state (src/domain/root-registry.ts). One
// partition, so a promotion moves two roots in one transaction; every write is ETag-guarded and checked with
// canMoveRoot. An empty registry is an existing single-root deployment: CA_ROOT_NAME is registered as `current`.
import { RestError } from "@azure/data-tables";
import type { TableClient, TableEntityResult, TransactionAction } from "@azure/data-tables";
import type { Config } from "../config";
import { canMoveRoot, ROOT_STATES } from "../domain/root-registry";
import type { ManagedRoot, RootState } from "../domain/root-registry";
import { rootNameOf, rootSubjectOf } from "../domain/root-generation";
import type { RootCa } from "./ca-model";
import { asDate, ensureTable, entityOrUndefined, oneOf, optional } from "./ledger-table";
import { tableClient } from "./storage";

/** A registry row: the managed root, its generation, and the public data of its certificate once bootstrapped. */
export interface RegisteredRoot extends ManagedRoot {
  /** 1 for CA_ROOT_NAME, N for `${CA_ROOT_NAME}-g<N>`. */
  readonly generation: number;
  /** The subject its bootstrap uses (absent for the first root: CA_ROOT_SUBJECT). */
  readonly subject?: string;
  readonly notBefore?: string;
  /** The gateway's format (base64 DER on one line), recorded once bootstrapped: readable after the root is disabled. */
  readonly publicCertData?: string;
  /** The root that was current when this one was promoted (restored if the rotation is cancelled). */
  readonly previous?: string;
  /** Certificates of this root its retirement marked superseded. */
  readonly superseded?: number;
}

export class RootRegistryConflict extends Error {
  override readonly name = "RootRegistryConflict";
}

/** One move of one root, from one state to another. */
export interface RootMove {
  readonly name: string;
  readonly from: RootState;
  readonly to: RootState;
  /** Fields written with the move. */
  readonly set?: { readonly previous?: string; readonly superseded?: number };
}

type RootEntity = {
  partitionKey: string;
  rowKey: string;
  name: string;
  state: string;
  generation: number;
  createdAt: Date;
  updatedAt: Date;
  thumbprint?: string;
  notAfter?: string;
  notBefore?: string;
  subject?: string;
  publicCertData?: string;
  rotationId?: string;
  previous?: string;
  superseded?: number;
};

const PARTITION = "roots";
const MAX_ATTEMPTS = 8;

export type RootRegistryConfig = Parameters<typeof tableClient>[0] &
  Pick<Config, "LEDGER_TABLE_PREFIX" | "CA_ROOT_NAME" | "CA_ROOT_SUBJECT">;

export class RootRegistry {
  private readonly ensured = new Set<TableClient>();

  constructor(
    private readonly table: TableClient,
    private readonly config: Pick<Config, "CA_ROOT_NAME" | "CA_ROOT_SUBJECT">,
  ) {}

  static fromConfig(config: RootRegistryConfig): RootRegistry {
    return new RootRegistry(tableClient(config, `${config.LEDGER_TABLE_PREFIX}Roots`), config);
  }

  /** Every managed root, oldest generation first (CA_ROOT_NAME registered as current when there is none). */
  async list(): Promise<RegisteredRoot[]> {
    const rows = await this.read();
    if (rows.length > 0) return rows;
    await this.registerFirst();
    return this.read();
  }

  /** The root that signs: the newest generation in state current. */
  async current(): Promise<RegisteredRoot> {
    const current = (await this.list()).filter((r) => r.state === "current").at(-1);
    if (current === undefined) throw new RootRegistryConflict("the root registry has no current root");
    return current;
  }

  async get(name: string): Promise<RegisteredRoot | undefined> {
    await this.ready();
    const entity = await entityOrUndefined<RootEntity>(this.table, PARTITION, rowKeyOf(name));
    return entity === undefined ? undefined : fromEntity(entity);
  }

  /** The root a rotation reserved, if any. */
  async byRotation(rotationId: string): Promise<RegisteredRoot | undefined> {
    return (await this.list()).find((r) => r.rotationId === rotationId);
  }

  /**
   * The next root's row for a rotation, `pending`: generation one more than the highest so far. A repeat for the same
   * rotation answers the same row, also when two calls race (the loser finds the winner's row).
   */
  async reserve(rotationId: string, now: Date): Promise<RegisteredRoot> {
    for (let attempt = 1; ; attempt++) {
      const rows = await this.list();
      const mine = rows.find((r) => r.rotationId === rotationId);
      if (mine !== undefined) return mine;
      const generation = Math.max(...rows.map((r) => r.generation)) + 1;
      const root: RegisteredRoot = {
        name: rootNameOf(this.config.CA_ROOT_NAME, generation),
        state: "pending",
        generation,
        subject: rootSubjectOf(this.config.CA_ROOT_SUBJECT, generation),
        rotationId,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      try {
        await this.table.createEntity(toEntity(root));
        return root;
      } catch (error) {
        if (!isStatus(error, 409) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** Moves one root (see moveTogether). */
  async move(name: string, from: RootState, to: RootState, now: Date): Promise<RegisteredRoot> {
    const [moved] = await this.moveTogether([{ name, from, to }], now);
    if (moved === undefined) throw new RootRegistryConflict(`root ${name} was not moved`);
    return moved;
  }

  /**
   * Moves roots in one transaction: each must be in `from` (or already in `to`: a repeat is a no-op) and the move
   * allowed by canMoveRoot, else RootRegistryConflict. Answers the rows as they are after it.
   */
  async moveTogether(moves: readonly RootMove[], now: Date): Promise<RegisteredRoot[]> {
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      const actions: TransactionAction[] = [];
      const after: RegisteredRoot[] = [];
      for (const move of moves) {
        const entity = await entityOrUndefined<RootEntity>(this.table, PARTITION, rowKeyOf(move.name));
        if (entity === undefined) throw new RootRegistryConflict(`root ${move.name} is not in the registry`);
        const row = fromEntity(entity);
        if (!canMoveRoot(move.from, move.to)) {
          throw new RootRegistryConflict(`a root cannot move from ${move.from} to ${move.to}`);
        }
        const fields = { ...(move.set ?? {}) };
        const unchanged = Object.entries(fields).every(
          ([k, v]) => (row as unknown as Record<string, unknown>)[k] === v,
        );
        if (row.state === move.to && unchanged) {
          after.push(row);
          continue;
        }
        if (row.state !== move.from && row.state !== move.to) {
          throw new RootRegistryConflict(`root ${move.name} is ${row.state}, not ${move.from}`);
        }
        const updated: RegisteredRoot = { ...row, ...fields, state: move.to, updatedAt: now.toISOString() };
        actions.push(["update", toEntity(updated), "Merge", { etag: entity.etag }]);
        after.push(updated);
      }
      if (actions.length === 0) return after;
      try {
        await this.table.submitTransaction(actions);
        return after;
      } catch (error) {
        // Another writer changed a row meanwhile: read again (a repeat then finds its work done).
        if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** Records the public data of a root's certificate (after its bootstrap, or when Key Vault holds another one). */
  async recordCertificate(name: string, root: RootCa, now: Date): Promise<RegisteredRoot> {
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      const entity = await entityOrUndefined<RootEntity>(this.table, PARTITION, rowKeyOf(name));
      if (entity === undefined) throw new RootRegistryConflict(`root ${name} is not in the registry`);
      const row = fromEntity(entity);
      if (row.thumbprint === root.thumbprint && row.publicCertData === root.publicCertData) return row;
      const updated: RegisteredRoot = {
        ...row,
        thumbprint: root.thumbprint,
        notBefore: root.notBefore,
        notAfter: root.notAfter,
        subject: root.subject,
        publicCertData: root.publicCertData,
        updatedAt: now.toISOString(),
      };
      try {
        await this.table.updateEntity(toEntity(updated), "Merge", { etag: entity.etag });
        return updated;
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async registerFirst(): Promise<void> {
    const at = new Date().toISOString();
    const first: RegisteredRoot = {
      name: this.config.CA_ROOT_NAME,
      state: "current",
      generation: 1,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.table.createEntity(toEntity(first));
    } catch (error) {
      // Registered meanwhile by another caller.
      if (!isStatus(error, 409)) throw error;
    }
  }

  private async read(): Promise<RegisteredRoot[]> {
    await this.ready();
    const rows: RegisteredRoot[] = [];
    const filter = `PartitionKey eq '${PARTITION}'`;
    for await (const e of this.table.listEntities<RootEntity>({ queryOptions: { filter } })) rows.push(fromEntity(e));
    return rows.sort((a, b) => a.generation - b.generation);
  }

  private ready(): Promise<void> {
    return ensureTable(this.table, this.ensured);
  }
}

/** Key Vault names are case-insensitive: one row per name whatever its case. */
function rowKeyOf(name: string): string {
  return name.toLowerCase();
}

function toEntity(r: RegisteredRoot): RootEntity {
  return {
    partitionKey: PARTITION,
    rowKey: rowKeyOf(r.name),
    name: r.name,
    state: r.state,
    generation: r.generation,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    ...optional("thumbprint", r.thumbprint),
    ...optional("notAfter", r.notAfter),
    ...optional("notBefore", r.notBefore),
    ...optional("subject", r.subject),
    ...optional("publicCertData", r.publicCertData),
    ...optional("rotationId", r.rotationId),
    ...optional("previous", r.previous),
    ...optional("superseded", r.superseded),
  };
}

function fromEntity(e: TableEntityResult<RootEntity>): RegisteredRoot {
  return {
    name: e.name,
    state: oneOf(ROOT_STATES, e.state, "root state"),
    generation: e.generation,
    createdAt: (asDate(e.createdAt) ?? new Date(0)).toISOString(),
    updatedAt: (asDate(e.updatedAt) ?? new Date(0)).toISOString(),
    ...optional("thumbprint", e.thumbprint),
    ...optional("notAfter", e.notAfter),
    ...optional("notBefore", e.notBefore),
    ...optional("subject", e.subject),
    ...optional("publicCertData", e.publicCertData),
    ...optional("rotationId", e.rotationId),
    ...optional("previous", e.previous),
    ...optional("superseded", e.superseded),
  };
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError && error.statusCode === status;
}

/** A lost ETag race (412), or a transaction refused for one of its rows. */
function isConflict(error: unknown): boolean {
  return isStatus(error, 412) || isStatus(error, 409);
}
