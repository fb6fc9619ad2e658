import { CommandTag } from './command.js';
import { anyField } from './command-fields.js';
import type { CommandEntries } from './command-entry.js';
import { coordinateBatchPayload, decodeCoordinateBatch } from './coordinate-command-codec.js';

/**
 * The coordinate command (wire tag 66, Consul's CoordinateBatchUpdateType): one batch of
 * updates, applied to the coordinates table; updates for nodes the catalog does not know are
 * dropped. Answers true.
 */
export const COORDINATE_COMMANDS: CommandEntries<'coordinate.batch-update'> = {
  'coordinate.batch-update': {
    type: 'coordinate.batch-update',
    tag: CommandTag.CoordinateBatchUpdate,
    version: 1,
    arity: 1,
    encode: (c) => [coordinateBatchPayload(c)],
    decode: (r) => decodeCoordinateBatch(anyField(r, 0)),
    apply: (t, idx, c) => {
      t.coordinates.batchUpdate(idx, c.updates, (node) => t.catalog.node(node).value !== null);
      return true;
    },
  },
};
