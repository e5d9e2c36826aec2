// The run's Azurite, started by the global setup.
export function azuriteConnectionString(): string {
  const cs = process.env.P2S_TEST_AZURITE;
  if (cs === undefined)
    throw new Error("P2S_TEST_AZURITE is unset: run through jest so the global setup starts Azurite");
  return cs;
}

/** A unique, valid table or container suffix per test. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.toLowerCase();
}
