// The single profile regenerator of one gateway (instance id from profileRegeneratorInstanceId): waits out a burst of
// gateway writes (debounce), then one pass: read the profile configuration; unchanged, skip and audit; changed (or a
// refresh), generate, check and upload the package, write latest.json under its ETag, alert when the gateway's server
// root changed, prune old versions. Events that arrive during a pass, or in a quiet window after it, give another
// pass; then it finishes, and the next event starts it again.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task, TimerTask } from "durable-functions";
import { run } from "../activities/define";
import { raiseAlert } from "../activities/alert";
import {
  buildProfilePackage,
  checkProfileConfig,
  pruneProfileVersions,
  recordProfileOutcome,
  writeProfileManifest,
} from "../activities/profile";
import type { ProfileCheck } from "../activities/profile";
import { PROFILE_CHANGED_EVENT, PROFILE_REGENERATOR_ORCHESTRATION } from "../clients/profile-regenerator-starter";
import type { ProfileChanged, ProfileRegeneratorInput } from "../clients/profile-regenerator-starter";
import { describeChanges } from "../domain/profile-fingerprint";
import type { ProfileManifest } from "../domain/profile-manifest";
import type { RegeneratorState } from "../domain/profile-regenerator-id";

export type PassResult =
  | { readonly outcome: "skipped"; readonly fingerprint: string }
  | { readonly outcome: "unchanged"; readonly fingerprint: string }
  | { readonly outcome: "refused"; readonly reason: string }
  | { readonly outcome: "published"; readonly fingerprint: string; readonly serverRootChanged: boolean };

export interface RegeneratorOutput {
  readonly passes: readonly PassResult[];
}

/** Manifest writes that lost to another writer before the pass gives up (one regenerator per gateway: rare). */
const MAX_MANIFEST_CONFLICTS = 3;
/** A busy gateway is waited out 15 s, 30 s, 1 min ... up to 5 min a wait, 12 waits (about 45 minutes) at most. */
const FIRST_BUSY_WAIT_MS = 15_000;
const MAX_BUSY_WAIT_MS = 5 * 60_000;
const MAX_BUSY_WAITS = 12;

export const profileRegenerator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ProfileRegeneratorInput>();
  const retry = new df.RetryOptions(2_000, 4);
  retry.backoffCoefficient = 2;
  const passes: PassResult[] = [];
  let refresh = input.refresh;
  for (;;) {
    if (input.debounceMs > 0) {
      status(context, "debouncing", passes.length);
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + input.debounceMs));
    }
    status(context, "regenerating", passes.length);
    passes.push(yield* onePass(context, input, refresh, retry, passes.length + 1));

    // A write during the pass may have been read before it landed: one more pass then. Events raised while this
    // instance debounces are folded into the wait by the starter, so they are not here.
    status(context, "settling", passes.length);
    const event = context.df.waitForExternalEvent(PROFILE_CHANGED_EVENT);
    const quiet: TimerTask = context.df.createTimer(
      new Date(context.df.currentUtcDateTime.getTime() + Math.max(input.debounceMs, 1_000)),
    );
    const winner: unknown = yield context.df.Task.any([event, quiet]);
    if (winner === quiet) return { passes } satisfies RegeneratorOutput;
    quiet.cancel();
    refresh = (event.result as ProfileChanged | undefined)?.refresh ?? false;
  }
};

function status(context: OrchestrationContext, state: RegeneratorState, passes: number): void {
  context.df.setCustomStatus({ state, passes });
}

function* onePass(
  context: OrchestrationContext,
  input: ProfileRegeneratorInput,
  refresh: boolean,
  retry: df.RetryOptions,
  pass: number,
): Generator<Task, PassResult, unknown> {
  const passId = context.df.newGuid(`${context.df.instanceId}:pass:${pass}`);
  let busy = 0;
  for (let attempt = 1; ; attempt++) {
    const check: ProfileCheck = yield* run(checkProfileConfig, { gatewayId: input.gatewayId }, retry);
    const published = check.published?.manifest;
    const audit = (action: Parameters<typeof recordProfileOutcome.task>[0]["action"], reason: string, details = {}) =>
      run(
        recordProfileOutcome,
        { id: `${passId}:${attempt}`, gatewayName: check.gatewayName, action, reason, details },
        retry,
      );

    if (!refresh && published?.configFingerprint === check.configFingerprint) {
      yield* audit("profile.skipped", "the profile-relevant configuration is unchanged", {
        fingerprint: published.fingerprint,
        trigger: input.reason,
      });
      return { outcome: "skipped", fingerprint: published.fingerprint };
    }

    const built = yield* run(
      buildProfilePackage,
      {
        gatewayId: input.gatewayId,
        configFingerprint: check.configFingerprint,
        openVpn: check.openVpn,
        refresh,
        ...(published === undefined ? {} : { publishedVersion: published.fingerprint }),
      },
      retry,
    );
    if (built.kind === "busy") {
      // Another operation holds the gateway (a write can take many minutes): wait on a durable timer, then read
      // again. After a long while the pass fails; the next event or the refresh starts it again.
      busy++;
      if (busy > MAX_BUSY_WAITS) throw new Error(`gateway ${check.gatewayName} stayed busy: ${built.detail}`);
      const waitMs = Math.min(
        MAX_BUSY_WAIT_MS,
        Math.max(built.retryAfterMs ?? 0, FIRST_BUSY_WAIT_MS * 2 ** (busy - 1)),
      );
      status(context, "regenerating", pass - 1);
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + waitMs));
      continue;
    }
    if (built.kind === "refused") {
      yield* audit("profile.refused", built.reason);
      yield* run(
        raiseAlert,
        {
          severity: "error",
          key: `profile-refused:${context.df.instanceId}:${context.df.currentUtcDateTime.toISOString()}`,
          title: `Gateway ${check.gatewayName}: the VPN profile package was refused`,
          detail: `${built.reason}; the previous package stays published`,
          subject: input.gatewayId,
        },
        retry,
      );
      return { outcome: "refused", reason: built.reason };
    }
    if (built.kind === "unchanged") {
      yield* audit("profile.unchanged", "the regenerated package matches the published one", {
        fingerprint: built.version,
      });
      return { outcome: "unchanged", fingerprint: built.version };
    }

    const rootChanged =
      published !== undefined &&
      (published.serverRoot.certificateSha256 !== built.serverRoot.certificateSha256 ||
        published.serverRoot.commonName !== built.serverRoot.commonName);
    const manifest: ProfileManifest = {
      gatewayId: input.gatewayId,
      gateway: check.gatewayName,
      fingerprint: built.version,
      configFingerprint: check.configFingerprint,
      generatedAt: context.df.currentUtcDateTime.toISOString(),
      sha256: built.sha256,
      size: built.size,
      path: built.path,
      serverRoot: built.serverRoot,
      folders: built.folders,
      changes: [
        ...describeChanges(published?.config, check.config),
        ...(rootChanged ? [`serverRoot: ${published.serverRoot.commonName} -> ${built.serverRoot.commonName}`] : []),
      ],
      config: check.config,
    };
    const written = yield* run(
      writeProfileManifest,
      { manifest, ...(check.published === undefined ? {} : { etag: check.published.etag }) },
      retry,
    );
    if (written === "conflict") {
      if (attempt - busy >= MAX_MANIFEST_CONFLICTS)
        throw new Error(`latest.json of ${check.gatewayName} keeps changing`);
      continue;
    }
    if (rootChanged) {
      yield* run(
        raiseAlert,
        {
          severity: "warning",
          // Once per published package: a re-run of this step does not tell the admins twice.
          key: `profile-server-root:${input.gatewayId}:${built.version}`,
          title: `Gateway ${check.gatewayName}: the VPN server root changed; users must re-import the profile`,
          detail:
            `the gateway's server root is now ${built.serverRoot.commonName} (was ${published.serverRoot.commonName}); ` +
            `the new profile package ${built.version} is published, and every user must download and import it again`,
          subject: input.gatewayId,
        },
        retry,
      );
    }
    yield* run(
      pruneProfileVersions,
      { gatewayName: check.gatewayName, current: built.version, keep: input.keep },
      retry,
    );
    yield* audit("profile.published", manifest.changes.join("; "), {
      fingerprint: built.version,
      sha256: built.sha256,
      serverRootChanged: rootChanged,
      trigger: input.reason,
    });
    return { outcome: "published", fingerprint: built.version, serverRootChanged: rootChanged };
  }
}

df.app.orchestration(PROFILE_REGENERATOR_ORCHESTRATION, profileRegenerator);
