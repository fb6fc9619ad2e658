import { describe, expect, it } from 'vitest';
import { formatJoinAddress } from '../../../src/membership/join-address.js';

describe('formatJoinAddress', () => {
  it('adds the default port to a bare host or IPv4 address', () => {
    expect(formatJoinAddress('10.0.0.1', 8301)).toBe('10.0.0.1:8301');
    expect(formatJoinAddress(' consul.local ', 7301)).toBe('consul.local:7301');
  });
  it('keeps an explicit port', () => {
    expect(formatJoinAddress('127.0.0.2:9301', 8301)).toBe('127.0.0.2:9301');
  });
  it('brackets IPv6 addresses, with or without a port', () => {
    expect(formatJoinAddress('::1', 8301)).toBe('[::1]:8301');
    expect(formatJoinAddress('[fe80::1]', 8301)).toBe('[fe80::1]:8301');
    expect(formatJoinAddress('[fe80::1]:9000', 8301)).toBe('[fe80::1]:9000');
  });
});
