import { describe, expect, it } from 'vitest';
import * as sdk from 'sextant/plugin-sdk';
import { ErrorCode, SextantError, isSextantError } from '../../../contracts/errors.js';
import { ClosedGuard } from '../../../src/platform/closed-guard.js';

// `sextant/plugin-sdk` is the one module plugins import. Under test it must be the same module
// instances the kernel uses, or a plugin's SextantError would not be the kernel's.

describe('sextant/plugin-sdk', () => {
  it("is the kernel's own modules: errors a plugin throws keep their codes", () => {
    expect(sdk.SextantError).toBe(SextantError);
    expect(sdk.ClosedGuard).toBe(ClosedGuard);
    const guard = new sdk.ClosedGuard('test store');
    guard.close();
    let thrown: unknown;
    try {
      guard.check();
    } catch (e) {
      thrown = e;
    }
    expect(isSextantError(thrown, ErrorCode.Shutdown)).toBe(true);
  });

  it('offers the contracts, the Go helpers, the agent helpers and the check-runner pieces', () => {
    const offered = [
      'definePlugin', 'KERNEL_API_VERSION', 'SextantError', 'ErrorCode', 'isSextantError',
      'parseGoDuration', 'formatGoDuration', 'durationMs', 'isGoDuration', 'goQuote', 'parseJsonLossless',
      'goDialErrorText', 'goDialTimeoutText', 'goErrnoText', 'goLookupErrorText', 'joinHostPort',
      'listenHosts', 'aggregatedStatus', 'aggregatedHttpStatus', 'isPlainObject', 'compileFilter', 'applyFilter', 'ClosedGuard',
      'DEFAULT_OUTPUT_MAX_SIZE', 'durationFieldNs', 'goDurationText', 'nsToMs', 'outputMaxSize', 'validateDurationField', 'validateOutputMaxSize',
      'commandOf', 'hasCommand', 'validateCommandFields', 'statusForExitCode', 'goStartErrorText', 'ProbeDeadline',
      'SCRIPTS_DISABLED_LOCAL', 'SCRIPTS_DISABLED_REMOTE', 'scriptPolicyError', 'TailBuffer',
    ];
    expect(offered.filter((name) => !(name in sdk))).toEqual([]);
    expect(sdk.formatGoDuration(sdk.parseGoDuration('1m30s'))).toBe('1m30s');
    expect(sdk.goQuote('a"b')).toBe('"a\\"b"');
  });
});
