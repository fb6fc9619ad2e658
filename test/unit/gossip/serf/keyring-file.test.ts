/**
 * The gossip keyring file (`data_dir/serf/local.keyring`) on real temp files: serf's format,
 * Consul's start-up rules between the file and `encrypt`, and Consul's error texts.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../../contracts/errors.js';
import { Keyring } from '../../../../src/gossip/memberlist/keyring.js';
import {
  decodeGossipKey,
  decodeStdBase64,
  encodeGossipKey,
  initialKeyring,
  keyringFileKeys,
  readKeyringFile,
  toMemberlistKeyring,
  writeKeyringFile,
} from '../../../../src/gossip/serf/keyring-file.js';
import { SeededRandom } from '../../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../../src/testing/silent-logger.js';

const K16 = 'i0P+gFTkLPg0h53eNYjydg=='; // Consul's docs key (16 bytes)
const K32 = Buffer.alloc(32, 7).toString('base64');
const K24 = Buffer.alloc(24, 9).toString('base64');

let dir: string;
let logger: SilentLogger;
const random = new SeededRandom(7);
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyring-'));
  logger = new SilentLogger();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<SextantError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(SextantError);
  return e as SextantError;
}
function thrown(fn: () => unknown): SextantError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SextantError);
    return e as SextantError;
  }
  throw new Error('did not throw');
}

describe('gossip keys', () => {
  it('decodes base64 keys of 16, 24 and 32 bytes', () => {
    expect(decodeGossipKey(K16)).toEqual(new Uint8Array(Buffer.from(K16, 'base64')));
    expect(decodeGossipKey(K24)).toHaveLength(24);
    expect(decodeGossipKey(K32)).toHaveLength(32);
    expect(encodeGossipKey(decodeGossipKey(K32))).toBe(K32);
  });

  it("rejects other sizes and bad base64 with Consul's text", () => {
    const short = thrown(() => decodeGossipKey(Buffer.alloc(20).toString('base64')));
    expect(short.code).toBe(ErrorCode.ConfigInvalid);
    expect(short.message).toBe('Invalid key: key size must be 16, 24 or 32 bytes');
    const bad = thrown(() => decodeGossipKey('this is not a valid key'));
    expect(bad.code).toBe(ErrorCode.ConfigInvalid);
    expect(bad.message).toBe('Invalid key: illegal base64 data at input byte 4');
    expect(thrown(() => decodeGossipKey('')).message).toBe('Invalid key: key size must be 16, 24 or 32 bytes');
  });

  // Offsets as Go's base64.StdEncoding.DecodeString reports them (taken from HashiCorp's serf
  // 0.8.2 agent: `serf agent -encrypt=<key>` → `illegal base64 data at input byte N`).
  it.each([
    ['this is not a valid key', 4],
    ['AAAA=', 4],
    ['AA==AA==', 4],
    ['AAA', 0],
    ['AAAAA', 4],
    ['AA=', 3],
    ['AA=A', 2],
    ['A===', 1],
    ['AAAA====', 4],
    ['QUJDRA=', 7],
    ['QUJDRA==x', 8],
    ['é', 0],
  ])('base64 %j fails at input byte %i, as Go says', (input, at) => {
    expect(thrown(() => decodeStdBase64(input)).message).toBe(`illegal base64 data at input byte ${at}`);
  });

  it('accepts what Go accepts: padding, and line breaks anywhere', () => {
    expect(Buffer.from(decodeStdBase64('QUJDRA==')).toString()).toBe('ABCD');
    expect(Buffer.from(decodeStdBase64('QUJD\r\nRA==\n')).toString()).toBe('ABCD');
    expect(decodeStdBase64('')).toHaveLength(0);
  });
});

describe('keyring file', () => {
  it("writes serf's format (indented JSON, primary first), 0600 in a new 0700 directory, and reads it back", async () => {
    const path = join(dir, 'data', 'serf', 'local.keyring');
    await writeKeyringFile(path, [K32, K16], random);
    expect(await readFile(path, 'utf8')).toBe(`[\n  "${K32}",\n  "${K16}"\n]`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data', 'serf'))).mode & 0o777).toBe(0o700);
    expect(await readKeyringFile(path)).toEqual([K32, K16]);

    await writeKeyringFile(path, [K16], random); // replaced whole; no temp file left behind
    expect(await readKeyringFile(path)).toEqual([K16]);
    expect(await readdir(join(dir, 'data', 'serf'))).toEqual(['local.keyring']);
  });

  it('reads the compact form Consul writes on first start', async () => {
    const path = join(dir, 'local.keyring');
    await writeFile(path, `["${K16}"]`);
    expect(await readKeyringFile(path)).toEqual([K16]);
  });

  it('is undefined when the file does not exist', async () => {
    expect(await readKeyringFile(join(dir, 'serf', 'local.keyring'))).toBeUndefined();
  });

  it.each([
    ['{"a":1}', 'Failed to configure keyring: json: cannot unmarshal object into Go value of type []string'],
    [`"${K16}"`, 'Failed to configure keyring: json: cannot unmarshal string into Go value of type []string'],
    ['[1]', 'Failed to configure keyring: json: cannot unmarshal number into Go value of type string'],
    ['[]', 'Failed to configure keyring: no keys present in keyring: PATH'],
    ['null', 'Failed to configure keyring: no keys present in keyring: PATH'],
    ['["not base64!"]', 'Failed to configure keyring: illegal base64 data at input byte 3'],
    [`["${K16}", "${Buffer.alloc(8).toString('base64')}"]`, 'Failed to configure keyring: key size must be 16, 24 or 32 bytes'],
  ])('rejects %s with CONFIG_INVALID and Consul text', async (content, message) => {
    const path = join(dir, 'local.keyring');
    await writeFile(path, content);
    const e = await rejection(readKeyringFile(path));
    expect(e.code).toBe(ErrorCode.ConfigInvalid);
    expect(e.message).toBe(message.replace('PATH', path));
  });

  it('rejects a file that is not JSON, naming the path', async () => {
    const path = join(dir, 'local.keyring');
    await writeFile(path, '[oops');
    const e = await rejection(readKeyringFile(path));
    expect(e.code).toBe(ErrorCode.ConfigInvalid);
    expect(e.message).toContain(`Failed to configure keyring: invalid keyring file ${path}`);
  });

  it('fails with STORAGE_FAILED when the keyring cannot be read or written', async () => {
    const asDir = join(dir, 'local.keyring');
    await mkdir(asDir);
    expect((await rejection(readKeyringFile(asDir))).code).toBe(ErrorCode.StorageFailed);
    const w = await rejection(writeKeyringFile(asDir, [K16], random));
    expect(w.code).toBe(ErrorCode.StorageFailed);
    expect(w.message).toContain('Failed to write keyring file');
    expect(await readdir(dir)).toEqual(['local.keyring']);
  });
});

describe("initialKeyring: Consul's setupBaseKeyrings", () => {
  it('no keyring file in use: encrypt alone, or no encryption', async () => {
    expect(await initialKeyring({ encrypt: '', keyringPath: undefined, logger, random })).toBeUndefined();
    const r = await initialKeyring({ encrypt: K16, keyringPath: undefined, logger, random });
    expect(r?.keys.map(encodeGossipKey)).toEqual([K16]);
    expect(encodeGossipKey(r!.primary)).toBe(K16);
    const e = await rejection(initialKeyring({ encrypt: Buffer.alloc(10).toString('base64'), keyringPath: undefined, logger, random }));
    expect(e.code).toBe(ErrorCode.ConfigInvalid);
    expect(e.message).toBe('Failed to configure keyring: key size must be 16, 24 or 32 bytes');
    expect(await readdir(dir)).toEqual([]);
  });

  it('no encrypt and no file: no encryption, and no file is created', async () => {
    const path = join(dir, 'serf', 'local.keyring');
    expect(await initialKeyring({ encrypt: '', keyringPath: path, logger, random })).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('encrypt with no file: the key seeds the file', async () => {
    const path = join(dir, 'serf', 'local.keyring');
    const r = await initialKeyring({ encrypt: K16, keyringPath: path, logger, random });
    expect(r?.keys.map(encodeGossipKey)).toEqual([K16]);
    expect(await readKeyringFile(path)).toEqual([K16]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("an invalid encrypt with no file fails with initKeyring's text and writes nothing", async () => {
    const path = join(dir, 'serf', 'local.keyring');
    const e = await rejection(initialKeyring({ encrypt: Buffer.alloc(10).toString('base64'), keyringPath: path, logger, random }));
    expect(e.code).toBe(ErrorCode.ConfigInvalid);
    expect(e.message).toBe('Failed to configure keyring: Invalid key: key size must be 16, 24 or 32 bytes');
    expect(await readKeyringFile(path)).toBeUndefined();
  });

  it('an existing file wins over encrypt: its keys in order, encrypt not added, a warning when encrypt is missing from it', async () => {
    const path = join(dir, 'serf', 'local.keyring');
    await writeKeyringFile(path, [K32, K24], random);
    const r = await initialKeyring({ encrypt: K16, keyringPath: path, logger, random });
    expect(r?.keys.map(encodeGossipKey)).toEqual([K32, K24]);
    expect(encodeGossipKey(r!.primary)).toBe(K32);
    expect(await readKeyringFile(path)).toEqual([K32, K24]);
    expect(logger.lines.filter((l) => l.startsWith('WARN'))).toEqual([`WARN : keyring doesn't include key provided with -encrypt, using keyring {"keyring":"LAN"}`]);
  });

  it('an existing file holding encrypt (as a secondary) loads without a warning', async () => {
    const path = join(dir, 'serf', 'local.keyring');
    await writeKeyringFile(path, [K32, K16], random);
    const r = await initialKeyring({ encrypt: K16, keyringPath: path, logger, random });
    expect(encodeGossipKey(r!.primary)).toBe(K32);
    expect(logger.lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
  });

  it('an existing file without encrypt is loaded; a bad file fails', async () => {
    const path = join(dir, 'serf', 'local.keyring');
    await writeKeyringFile(path, [K24], random);
    expect((await initialKeyring({ encrypt: '', keyringPath: path, logger, random }))?.keys.map(encodeGossipKey)).toEqual([K24]);
    await writeFile(path, '[]');
    const e = await rejection(initialKeyring({ encrypt: K16, keyringPath: path, logger, random }));
    expect(e.message).toBe(`Failed to configure keyring: no keys present in keyring: ${path}`);
  });

  it('builds the memberlist Keyring (primary encrypts, all decrypt) and writes a changed one back', async () => {
    const path = join(dir, 'serf', 'local.keyring');
    await writeKeyringFile(path, [K32, K16], random);
    const ring = toMemberlistKeyring((await initialKeyring({ encrypt: '', keyringPath: path, logger, random }))!);
    expect(ring).toBeInstanceOf(Keyring);
    expect(encodeGossipKey(ring.primaryKey()!)).toBe(K32);
    expect(ring.getKeys().map(encodeGossipKey)).toEqual([K32, K16]);
    ring.useKey(decodeGossipKey(K16));
    await writeKeyringFile(path, keyringFileKeys(ring), random);
    expect(await readKeyringFile(path)).toEqual([K16, K32]);
  });
});
