import { expect } from 'vitest';
import { isSextantError } from '../../../contracts/errors.js';
import { loadRuntimeConfig } from '../../../src/config/load-config.js';
import type { ConfigFlags } from '../../../src/config/load-config.js';

/** Loads the runtime config (hostname `host-a`) and returns the coded error it must fail with. */
export async function loadFailure(flags: ConfigFlags): Promise<Error & { code: string }> {
  try {
    await loadRuntimeConfig({ flags, hostname: 'host-a' });
  } catch (e) {
    expect(isSextantError(e)).toBe(true);
    return e as Error & { code: string };
  }
  throw new Error('expected the load to fail');
}
