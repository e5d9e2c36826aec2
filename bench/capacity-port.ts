// Where the simulation keeps its revocations and how a writer pass reads them back: the real ledger on Azurite
// (through the revocation index), or an in-memory stand-in for the unit test.
import type { CertificateRecord } from "../src/domain/ledger";
import type { Ledger } from "../src/clients/ledger";

/** One revoked certificate as a writer pass sees it. */
export interface WriterEntry {
  readonly thumbprint: string;
  readonly rootThumbprint?: string;
  readonly notAfter?: Date;
  readonly userKey?: string;
}

export interface WriterRead {
  readonly entries: readonly WriterEntry[];
  /** Table rows the read went through. */
  readonly rowsRead: number;
}

export interface RevocationPort {
  /** Records certificates as revoked (idempotent). */
  revoke(records: readonly CertificateRecord[]): Promise<void>;
  /** Revoked certificates of the given roots whose notAfter is after `cutoff`. */
  readForWriter(rootThumbprints: readonly string[], cutoff: Date): Promise<WriterRead>;
}

/** The ledger on Azurite: every revocation is a certificate put (which writes the index); reads through `reader`. */
export class LedgerPort implements RevocationPort {
  constructor(
    private readonly ledger: Ledger,
    private readonly reader: (roots: readonly string[], cutoff: Date) => Promise<WriterRead>,
  ) {}

  async revoke(records: readonly CertificateRecord[]): Promise<void> {
    // A day's revocations are independent rows (one user partition each): written side by side, a few at a time.
    for (let i = 0; i < records.length; i += 16) {
      await Promise.all(records.slice(i, i + 16).map((r) => this.ledger.putCertificate(r)));
    }
  }

  readForWriter(rootThumbprints: readonly string[], cutoff: Date): Promise<WriterRead> {
    return this.reader(rootThumbprints, cutoff);
  }
}

/** The same contract in memory: reads only what an index read would (revoked, unexpired, of the given roots). */
export class MemoryPort implements RevocationPort {
  private readonly byRoot = new Map<string, WriterEntry[]>();

  revoke(records: readonly CertificateRecord[]): Promise<void> {
    for (const r of records) {
      if (r.thumbprint === undefined) continue;
      const root = r.rootThumbprint ?? "unknown";
      const entries = this.byRoot.get(root) ?? [];
      entries.push({
        thumbprint: r.thumbprint,
        userKey: r.userKey,
        ...(r.rootThumbprint === undefined ? {} : { rootThumbprint: r.rootThumbprint }),
        ...(r.notAfter === undefined ? {} : { notAfter: r.notAfter }),
      });
      this.byRoot.set(root, entries);
    }
    return Promise.resolve();
  }

  readForWriter(rootThumbprints: readonly string[], cutoff: Date): Promise<WriterRead> {
    const entries: WriterEntry[] = [];
    for (const root of new Set(rootThumbprints)) {
      const kept = (this.byRoot.get(root) ?? []).filter(
        (e) => e.notAfter === undefined || e.notAfter.getTime() > cutoff.getTime(),
      );
      entries.push(...kept);
    }
    return Promise.resolve({ entries, rowsRead: entries.length });
  }
}
