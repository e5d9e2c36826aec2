export default async function globalTeardown(): Promise<void> {
  await globalThis.__P2S_AZURITE__?.stop();
}
