// The Key Vault emulator's prepared keys: taken once each, in their size only, and a create without one still gets a
// key of its own.
import { RsaKeyPool, spkiDer } from "../../dev/emulators/keyvault/key-material";
import type { RsaKeyPair } from "../../dev/emulators/keyvault/key-material";

const fingerprint = (pair: RsaKeyPair): string => spkiDer(pair.publicKey).toString("base64");

describe("RsaKeyPool", () => {
  it("hands out each prepared key once, then generates", async () => {
    const pool = new RsaKeyPool();
    await pool.prepare(2048, 2);
    expect(pool.ready(2048)).toBe(2);
    const taken = [await pool.take(2048), await pool.take(2048)];
    expect(pool.ready(2048)).toBe(0);
    const generated = await pool.take(2048);
    const prints = [...taken, generated].map(fingerprint);
    expect(new Set(prints).size).toBe(3);
    for (const pair of [...taken, generated]) {
      expect(pair.size).toBe(2048);
      expect(pair.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    }
  });

  it("keeps keys of one size for creates of that size", async () => {
    const pool = new RsaKeyPool();
    await pool.prepare(2048, 1);
    const other = await pool.take(3072);
    expect(other.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(pool.ready(2048)).toBe(1);
    expect(pool.ready(3072)).toBe(0);
  });
});
