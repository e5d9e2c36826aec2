// Records every answer of the app's API (any URL whose path starts with /api/) that a test process receives through
// fetch, headers and body, so a test can prove that none of them hands out a durable management URL or a key that
// opens one. The e2e project installs it for every file (e2e-answers-guard.ts); sandboxes register their keys.

export interface RecordedAnswer {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  /** The body as latin1 text (binary bodies such as PKCS#12 too: every byte is one character). */
  readonly body: string;
}

const answers: RecordedAnswer[] = [];
const secrets = new Set<string>();
let installed = false;

/** What must never appear in an API answer: the durable webhook, its `code=` query key, and registered key values. */
export const DURABLE_MARKERS = ["runtime/webhooks/durabletask", "code=", "statusQueryGetUri", "terminatePostUri"];

/** A key no API answer may carry (the durable extension's system key, the master key). */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 8) secrets.add(value);
}

export function registeredSecrets(): readonly string[] {
  return [...secrets];
}

export function recordedAnswers(): readonly RecordedAnswer[] {
  return answers;
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === "string") return input;
  return input instanceof URL ? input.toString() : input.url;
}

/** Wraps the global fetch once: each answer from an /api/ path is read in full (a clone) and kept. */
export function recordApiAnswers(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = urlOf(input);
    if (!new URL(url).pathname.startsWith("/api/")) return response;
    const body = Buffer.from(await response.clone().arrayBuffer()).toString("latin1");
    answers.push({
      method: init?.method ?? (input instanceof Request ? input.method : "GET"),
      url,
      status: response.status,
      headers: [...response.headers.entries()],
      body,
    });
    return response;
  };
}

/** Every marker or secret found in an answer, named with the answer it was in; empty when none leaks. */
export function durableLeaks(
  recorded: readonly RecordedAnswer[],
  keys: readonly string[] = registeredSecrets(),
): string[] {
  const found: string[] = [];
  for (const answer of recorded) {
    const where = `${answer.method} ${new URL(answer.url).pathname} (${answer.status})`;
    const parts: [string, string][] = [
      ["body", answer.body],
      ...answer.headers.map(([name, value]): [string, string] => [`header ${name}`, value]),
    ];
    for (const [part, text] of parts) {
      const lower = text.toLowerCase();
      for (const marker of DURABLE_MARKERS) {
        if (lower.includes(marker.toLowerCase())) found.push(`${where} ${part}: ${marker}`);
      }
      for (const key of keys) {
        if (text.includes(key) || text.includes(encodeURIComponent(key))) found.push(`${where} ${part}: a key`);
      }
    }
  }
  return found;
}
