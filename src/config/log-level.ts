import type { LogLevel } from '../../contracts/platform.js';

/**
 * Maps a user log level to Sextant's: case-insensitive trace, debug, info, warn (or warning),
 * err (or error), as Consul/hclog accept. Undefined when not a level.
 */
export function normalizeLogLevel(s: string): LogLevel | undefined {
  switch (s.trim().toLowerCase()) {
    case 'trace':
      return 'trace';
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'err':
    case 'error':
      return 'error';
    default:
      return undefined;
  }
}
