import { readFile } from 'node:fs/promises';
import { readAll } from '../command.js';

/**
 * Consul's DATA argument convention for `kv put` / `kv import`: `@path` reads a file, a lone `-`
 * reads stdin, anything else (including `-foo`) is the data itself. Rejects with Consul's texts
 * (`Failed to read file: …`, `Failed to read stdin: …`).
 */
export async function readDataArg(data: string, stdin: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  if (data.startsWith('@')) {
    try {
      return await readFile(data.slice(1));
    } catch (e) {
      throw new Error(`Failed to read file: ${(e as Error).message}`);
    }
  }
  if (data === '-') {
    try {
      return await readAll(stdin);
    } catch (e) {
      throw new Error(`Failed to read stdin: ${(e as Error).message}`);
    }
  }
  return Buffer.from(data, 'utf8');
}

/** Go's base64.StdEncoding.DecodeString strictness: padded standard alphabet only. */
export function decodeBase64Strict(s: string): Buffer {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new Error(`illegal base64 data at input byte ${firstBadByte(s)}`);
  }
  return Buffer.from(s, 'base64');
}

function firstBadByte(s: string): number {
  const m = /[^A-Za-z0-9+/=]/.exec(s);
  return m ? m.index : Math.floor(s.length / 4) * 4;
}
