import type { CheckOrigin } from '../../../contracts/ports/check-runner.js';

/** The agent switches that allow script (and docker) checks. */
export interface ScriptCheckPolicy {
  /** enable_script_checks: scripts from config files and the HTTP API. */
  readonly enableScriptChecks: boolean;
  /** enable_local_script_checks: scripts from config files only. */
  readonly enableLocalScriptChecks: boolean;
}

/** Consul's refusal for a config-file script check while both switches are off. */
export const SCRIPTS_DISABLED_LOCAL =
  "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true";
/** Consul's refusal for an API-registered script check without enable_script_checks. */
export const SCRIPTS_DISABLED_REMOTE =
  "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true";

/** Consul's refusal text when `origin` may not register script checks under `policy`, else undefined. */
export function scriptPolicyError(policy: ScriptCheckPolicy, origin: CheckOrigin): string | undefined {
  if (origin === 'api') return policy.enableScriptChecks ? undefined : SCRIPTS_DISABLED_REMOTE;
  return policy.enableScriptChecks || policy.enableLocalScriptChecks ? undefined : SCRIPTS_DISABLED_LOCAL;
}
