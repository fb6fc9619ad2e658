import { decode, encode } from '@msgpack/msgpack';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { RaftPeer } from './raft-api.js';

/** The cluster configuration: every server with its address and whether it votes. */
export interface RaftConfiguration {
  servers: RaftPeer[];
}

/** Version tag of the encoded configuration. Bump only with a decoder for the old one. */
const CONFIGURATION_VERSION = 1;

/** The empty configuration (a server that was never bootstrapped nor told by a leader). */
export function emptyConfiguration(): RaftConfiguration {
  return { servers: [] };
}

/**
 * Encodes a configuration for a Configuration log entry or a snapshot's metadata.
 * Deterministic: servers are sorted by id, so equal configurations encode to equal bytes.
 */
export function encodeConfiguration(config: RaftConfiguration): Uint8Array {
  const servers = [...config.servers]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((s) => [s.id, s.address, s.voter]);
  return encode({ v: CONFIGURATION_VERSION, s: servers });
}

/** Decodes bytes written by encodeConfiguration; an empty buffer is the empty configuration.
 * Throws STORAGE_CORRUPT on anything else. */
export function decodeConfiguration(bytes: Uint8Array): RaftConfiguration {
  if (bytes.length === 0) return emptyConfiguration();
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (e) {
    throw new SextantError(ErrorCode.StorageCorrupt, 'raft configuration is not valid msgpack', undefined, { cause: e });
  }
  const obj = raw as { v?: unknown; s?: unknown };
  if (obj === null || typeof obj !== 'object' || obj.v !== CONFIGURATION_VERSION || !Array.isArray(obj.s)) {
    throw new SextantError(ErrorCode.StorageCorrupt, 'raft configuration has an unknown version or shape');
  }
  const servers: RaftPeer[] = [];
  for (const s of obj.s as unknown[]) {
    if (!Array.isArray(s) || typeof s[0] !== 'string' || typeof s[1] !== 'string' || typeof s[2] !== 'boolean') {
      throw new SextantError(ErrorCode.StorageCorrupt, 'raft configuration has a malformed server');
    }
    servers.push({ id: s[0], address: s[1], voter: s[2] });
  }
  return { servers };
}

/** Ids of the voters of a configuration. */
export function voterIds(config: RaftConfiguration): string[] {
  return config.servers.filter((s) => s.voter).map((s) => s.id);
}

/** True when `id` is a voter in `config`. */
export function isVoter(config: RaftConfiguration, id: string): boolean {
  return config.servers.some((s) => s.id === id && s.voter);
}

/** Votes needed for a majority of `voters` voters. */
export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
