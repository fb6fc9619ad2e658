import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { CommandTag } from './command.js';
import { bytesField } from './command-fields.js';
import type { CommandEntries } from './command-entry.js';

/**
 * The restore command (wire tag 224): a whole state image. Its codec lives here like every
 * command's; its apply does not run on the tables in a transaction — StateStore.apply replaces
 * the tables itself (StateStore.restore at the entry's index) before it would get here.
 */
export const RESTORE_COMMANDS: CommandEntries<'state.restore'> = {
  'state.restore': {
    type: 'state.restore',
    tag: CommandTag.StateRestore,
    version: 1,
    arity: 1,
    encode: (c) => [c.image],
    decode: (r) => ({ type: 'state.restore', image: bytesField(r, 0) }),
    apply: () => {
      throw new SextantError(ErrorCode.Internal, 'state.restore is applied by StateStore.apply, not inside a transaction');
    },
  },
};
