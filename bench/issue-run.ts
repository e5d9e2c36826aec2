// One bench run: N client certificates issued at once through the app's own Key Vault CA steps (begin: Key Vault
// makes the key and CSR; sign: the root signs through keys/sign; complete: merge), each issuance running its steps
// in sequence and all issuances concurrently, as concurrent issueClientCertificate orchestrations would.
import { beginClientCertificate, completeClientCertificate, signClientCertificate } from "../src/clients/key-vault-ca";
import type { CaConfig, RootCa } from "../src/clients/key-vault-ca";
import type { KeyVaultClients } from "../src/clients/keyvault";
import { assertUpn, keyVaultCertificateName, upnKey } from "../src/domain/upn";

export interface RunResult {
  readonly issued: number;
  readonly failed: number;
  /** First error messages (no key material: the steps never put any in errors). */
  readonly errors: readonly string[];
  readonly wallMs: number;
}

export async function runIssuance(
  kv: KeyVaultClients,
  config: CaConfig,
  root: RootCa,
  count: number,
  label: string,
): Promise<RunResult> {
  const started = performance.now();
  const errors: string[] = [];
  const outcomes = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const upn = assertUpn(`bench.${label}.${index}@contoso.com`);
      const requestId = `BENCH-${label}-${index}`;
      const name = keyVaultCertificateName(upn, requestId);
      try {
        const begun = await beginClientCertificate(kv, config, name, upn, {
          upn: upnKey(upn),
          requestId,
          rootThumbprint: root.thumbprint,
        });
        if (begun.state === "issued") return true;
        const der = await signClientCertificate(kv, config, root, begun.csrBase64, upn, new Date());
        await completeClientCertificate(kv, name, der, root);
        return true;
      } catch (error) {
        if (errors.length < 3) errors.push(error instanceof Error ? (error.message.split("\n")[0] ?? "") : "error");
        return false;
      }
    }),
  );
  const issued = outcomes.filter(Boolean).length;
  return {
    issued,
    failed: count - issued,
    errors,
    wallMs: performance.now() - started,
  };
}

/**
 * `count` issuances spread over several simulated app instances (one Key Vault clients object each, and so a pacer and
 * a storage client each), all started at once; the results together.
 */
export async function runAcrossInstances(
  instances: readonly KeyVaultClients[],
  config: CaConfig,
  root: RootCa,
  count: number,
  label: string,
): Promise<RunResult> {
  const started = performance.now();
  const results = await Promise.all(
    instances.map((kv, i) => {
      const share = Math.floor(count / instances.length) + (i < count % instances.length ? 1 : 0);
      return runIssuance(kv, config, root, share, `${label}-i${i}`);
    }),
  );
  const issued = results.reduce((sum, r) => sum + r.issued, 0);
  return {
    issued,
    failed: count - issued,
    errors: results.flatMap((r) => r.errors).slice(0, 3),
    wallMs: performance.now() - started,
  };
}
