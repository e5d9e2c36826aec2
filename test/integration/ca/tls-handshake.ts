// A real TLS server demanding client certificates (openssl s_server -Verify 1 -verify_return_error -CAfile root.pem)
// on loopback, and a node TLS client that presents a certificate and asks for one page: the handshake check of issue 4's acceptance.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { connect } from "node:tls";
import type { ConnectionOptions } from "node:tls";
import type { TempDir } from "./ca-support";

export interface ClientAuthServer {
  readonly port: number;
  /** Everything s_server printed (its verify callback names each certificate it checked). */
  output(): string;
  /**
   * Resolves with what s_server printed from offset `from` on, once that matches `pattern` (its output arrives after
   * the handshake). Take `from` from `output().length` before connecting.
   */
  waitForOutput(pattern: RegExp, from: number): Promise<string>;
  stop(): Promise<void>;
}

/** Makes a loopback server certificate in `dir` and starts s_server on a free port. */
export async function startClientAuthServer(dir: TempDir, caFile: string): Promise<ClientAuthServer> {
  const made = await dir.openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.pem",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-addext",
    "extendedKeyUsage=serverAuth",
  ]);
  if (made.code !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  const child = spawn(
    "openssl",
    [
      ...["s_server", "-accept", "127.0.0.1:0", "-cert", "server.pem", "-key", "server.key", "-www"],
      // -Verify 1 demands a client certificate; without -verify_return_error s_server only prints a failed
      // verification and carries on, so a self-signed certificate would get through.
      ...["-Verify", "1", "-verify_return_error", "-CAfile", caFile],
    ],
    { cwd: dir.path, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const match = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code) => {
      reject(new Error(`s_server exited (${String(code)}) before listening: ${output}`));
    });
  });
  const waitForOutput = async (pattern: RegExp, from: number): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (!pattern.test(output.slice(from))) {
      if (Date.now() > deadline) throw new Error(`s_server never printed ${String(pattern)}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return output.slice(from);
  };
  return { port, output: () => output, waitForOutput, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => {
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export type HandshakeOutcome =
  { readonly ok: true; readonly response: string } | { readonly ok: false; readonly error: string };

/**
 * Connects with `credentials` (pfx + passphrase, or key + cert), trusting only the server's own certificate, and
 * sends one request: success means the server accepted the client certificate and answered. Under TLS 1.3 the client
 * learns of a refused certificate only after its side of the handshake, so the answer is what counts.
 */
export function handshake(
  port: number,
  serverCertificate: string,
  credentials: Pick<ConnectionOptions, "pfx" | "passphrase" | "key" | "cert">,
): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    let response = "";
    let settled = false;
    const finish = (outcome: HandshakeOutcome): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    const socket = connect({ host: "127.0.0.1", port, ca: serverCertificate, ...credentials }, () => {
      socket.write("GET / HTTP/1.0\r\n\r\n");
    });
    socket.setTimeout(10_000, () => {
      finish({ ok: false, error: "timed out" });
    });
    socket.on("data", (chunk: Buffer) => {
      response += chunk.toString("utf8");
    });
    socket.on("error", (error: Error) => {
      finish({ ok: false, error: error.message });
    });
    socket.on("end", () => {
      finish(response.startsWith("HTTP/1.0 200") ? { ok: true, response } : { ok: false, error: "no answer" });
    });
  });
}
