import { catalogDeregisterPayload, catalogRegisterPayload, decodeCatalogDeregister, decodeCatalogRegister } from './catalog-command-codec.js';
import { CommandTag } from './command.js';
import { anyField } from './command-fields.js';
import type { CommandEntries } from './command-entry.js';
import { afterCatalogWrite } from './session-rules.js';

/**
 * The catalog commands (wire tags 64–65): one payload map each (catalog-command-codec.ts). A
 * write that takes a node or check away invalidates the sessions bound to it, at the same index.
 */
export const CATALOG_COMMANDS: CommandEntries<'catalog.register' | 'catalog.deregister'> = {
  'catalog.register': {
    type: 'catalog.register',
    tag: CommandTag.CatalogRegister,
    version: 1,
    arity: 1,
    encode: (c) => [catalogRegisterPayload(c)],
    decode: (r) => decodeCatalogRegister(anyField(r, 0)),
    apply: (t, idx, c) => {
      const result = t.catalog.register(idx, c);
      afterCatalogWrite(t, idx, c.now ?? 0);
      return result;
    },
  },
  'catalog.deregister': {
    type: 'catalog.deregister',
    tag: CommandTag.CatalogDeregister,
    version: 1,
    arity: 1,
    encode: (c) => [catalogDeregisterPayload(c)],
    decode: (r) => decodeCatalogDeregister(anyField(r, 0)),
    apply: (t, idx, c) => {
      const result = t.catalog.deregister(idx, c);
      afterCatalogWrite(t, idx, c.now ?? 0);
      return result;
    },
  },
};
