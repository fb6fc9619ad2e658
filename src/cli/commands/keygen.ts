import { SystemRandom } from '../../platform/system-random.js';
import type { Command } from '../command.js';
import { defineHttpCommand } from './http-command.js';

/** Bytes of a gossip encryption key `keygen` makes (AES-256, as Consul's keygen since 1.0). */
export const GOSSIP_KEY_BYTES = 32;

/** `sextant keygen` — Consul's `keygen`: a new gossip encryption key (base64) for `encrypt`. */
export const keygenCommand: Command = defineHttpCommand({
  name: 'keygen',
  synopsis: 'Generates a new encryption key',
  usage: '',
  description: `  Generates a new encryption key that can be used to configure the
  agent to encrypt traffic. The output of this command is already
  in the proper format that the agent expects.`,
  http: false,
  flags: [],
  async run({ out }) {
    out(Buffer.from(new SystemRandom().bytes(GOSSIP_KEY_BYTES)).toString('base64'));
    return 0;
  },
});
