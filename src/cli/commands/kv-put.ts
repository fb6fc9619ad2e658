import type { Command } from '../command.js';
import { defineHttpCommand } from './http-command.js';
import { kvPut } from './kv-api.js';
import { decodeBase64Strict, readDataArg } from './kv-data-arg.js';
import { FlagValueError, uint64FlagValue } from './uint64-flag.js';

/** `sextant kv put [options] KEY [DATA]` — Consul's `kv put`. */
export const kvPutCommand: Command = defineHttpCommand({
  name: 'kv put',
  synopsis: 'Sets or updates data in the KV store',
  usage: '[options] KEY [DATA]',
  description: `  Writes the data to the given path in the key-value store. The data can be of
  any type.

      $ sextant kv put config/redis/maxconns 5

  The data can also be consumed from a file on disk by prefixing with the "@"
  symbol. For example:

      $ sextant kv put config/program/license @license.lic

  Or it can be read from stdin using the "-" symbol:

      $ echo "abcd1234" | sextant kv put config/program/license -

  The DATA argument itself is optional. If omitted, this will create an empty
  key-value pair at the specified path.

  To perform a Check-And-Set operation, specify the -cas flag with the
  appropriate -modify-index flag corresponding to the key you want to perform
  the CAS operation on:

      $ sextant kv put -cas -modify-index=844 config/redis/maxconns 5

  With -modify-index=0 (the default) the key is written only if it does not
  exist yet.`,
  flags: [
    { name: 'acquire', kind: 'bool', usage: 'Obtain a lock on the key. If the key does not exist, this operation will create the key and obtain the lock. The session must already exist and be specified via the -session flag. The default value is false.' },
    { name: 'base64', kind: 'bool', usage: 'Treat the data as base 64 encoded. The default value is false.' },
    { name: 'cas', kind: 'bool', usage: 'Perform a Check-And-Set operation. Specifying this value also requires the -modify-index flag to be set. The default value is false.' },
    { name: 'flags', kind: 'string', default: '0', usage: 'Unsigned integer value to assign to this key-value pair. This value is not read by Sextant, so clients can use this value however makes sense for their use case. The default value is 0.' },
    { name: 'modify-index', kind: 'string', default: '0', usage: 'Unsigned integer representing the ModifyIndex of the key. This is used in combination with the -cas flag.' },
    { name: 'release', kind: 'bool', usage: 'Forfeit the lock on the key at the given path. This requires the -session flag to be set. The key must be held by the session in order to be unlocked. The default value is false.' },
    { name: 'session', kind: 'string', usage: 'User-defined identifier for this session as a string. This is commonly used with the -acquire and -release operations to build robust locking, but it can be set on any key. The default value is empty (no session).' },
  ],
  async run({ flags, args, client, io, out, err }) {
    const v = flags.values;
    let flagsValue: bigint;
    let modifyIndex: bigint;
    try {
      flagsValue = uint64FlagValue(v, 'flags');
      modifyIndex = uint64FlagValue(v, 'modify-index');
    } catch (e) {
      if (e instanceof FlagValueError) {
        err(e.message);
        return 1;
      }
      throw e;
    }
    if (args.length === 0) {
      err('Error! Missing KEY argument');
      return 1;
    }
    if (args.length > 2) {
      err(`Error! Too many arguments (expected 1 or 2, got ${args.length})`);
      return 1;
    }
    const key = args[0]!;
    let data: Buffer;
    try {
      data = args.length === 2 && args[1] !== '' ? await readDataArg(args[1]!, io.stdin) : Buffer.alloc(0);
    } catch (e) {
      err(`Error! ${(e as Error).message}`);
      return 1;
    }
    if (v['base64'] === true) {
      try {
        data = decodeBase64Strict(data.toString('utf8'));
      } catch (e) {
        err(`Error! Cannot base 64 decode data: ${(e as Error).message}`);
        return 1;
      }
    }
    const session = v['session'] as string;
    const acquire = v['acquire'] === true;
    const release = v['release'] === true;
    if ((acquire || release) && session === '') {
      err('Error! Missing -session (required with -acquire and -release)');
      return 1;
    }
    // -cas with -modify-index 0 (or none) writes only if the key does not exist yet, as
    // ?cas=0 does over HTTP (Consul 1.9+; hashicorp/consul#8330).
    const cas = v['cas'] === true;
    const flagsQuery = flagsValue === 0n ? undefined : flagsValue;
    if (cas) {
      let ok: boolean;
      try {
        ok = await kvPut(client, key, data, { flags: flagsQuery, cas: modifyIndex });
      } catch (e) {
        err(`Error! Did not write to ${key}: ${(e as Error).message}`);
        return 1;
      }
      if (!ok && modifyIndex === 0n) {
        err(`Error! Did not write to ${key}: CAS performed with index=0 and key already exists.`);
        return 1;
      }
      if (!ok) {
        err(`Error! Did not write to ${key}: CAS failed`);
        return 1;
      }
      out(`Success! Data written to: ${key}`);
      return 0;
    }
    if (acquire || release) {
      let ok: boolean;
      try {
        ok = await kvPut(client, key, data, { flags: flagsQuery, [acquire ? 'acquire' : 'release']: session });
      } catch (e) {
        err(`Error! Failed writing data: ${(e as Error).message}`);
        return 1;
      }
      if (!ok) {
        err(acquire ? 'Error! Did not acquire lock' : 'Error! Did not release lock');
        return 1;
      }
      out(`Success! Lock ${acquire ? 'acquired' : 'released'} on: ${key}`);
      return 0;
    }
    try {
      await kvPut(client, key, data, { flags: flagsQuery });
    } catch (e) {
      err(`Error! Failed writing data: ${(e as Error).message}`);
      return 1;
    }
    out(`Success! Data written to: ${key}`);
    return 0;
  },
});
