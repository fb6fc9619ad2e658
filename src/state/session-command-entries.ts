import { CommandTag } from './command.js';
import { anyField, strField, strListField, timeField } from './command-fields.js';
import type { CommandEntries } from './command-entry.js';
import { decodeSessionCreate, sessionCreatePayload } from './session-command-codec.js';
import { createSession, invalidateSession } from './session-rules.js';

/** The session commands (wire tags 32–35); each carries the proposing leader's clock `now`. */
export const SESSION_COMMANDS: CommandEntries<'session.create' | 'session.destroy' | 'session.renew' | 'session.expire'> = {
  'session.create': {
    type: 'session.create',
    tag: CommandTag.SessionCreate,
    version: 1,
    arity: 1,
    encode: (c) => [sessionCreatePayload(c)],
    decode: (r) => decodeSessionCreate(anyField(r, 0)),
    apply: (t, idx, c) => createSession(t, idx, c),
  },
  'session.destroy': {
    type: 'session.destroy',
    tag: CommandTag.SessionDestroy,
    version: 1,
    arity: 2,
    encode: (c) => [c.id, c.now],
    decode: (r) => ({ type: 'session.destroy', id: strField(r, 0), now: timeField(r, 1) }),
    apply: (t, idx, c) => {
      invalidateSession(t, idx, c.id, c.now);
      return true;
    },
  },
  'session.renew': {
    type: 'session.renew',
    tag: CommandTag.SessionRenew,
    version: 1,
    arity: 2,
    encode: (c) => [c.ids, c.now],
    decode: (r) => ({ type: 'session.renew', ids: strListField(r, 0), now: timeField(r, 1) }),
    apply: (t, _idx, c) => t.sessions.renew(c.ids, c.now),
  },
  'session.expire': {
    type: 'session.expire',
    tag: CommandTag.SessionExpire,
    version: 1,
    arity: 2,
    encode: (c) => [c.id, c.now],
    decode: (r) => ({ type: 'session.expire', id: strField(r, 0), now: timeField(r, 1) }),
    apply: (t, idx, c) => {
      const s = t.sessions.get(c.id);
      if (!s || s.expiresAt === 0 || s.expiresAt > c.now) return false;
      invalidateSession(t, idx, c.id, c.now);
      return true;
    },
  },
};
