import type { MessageHandler, ProtocolHandlers, RequestHandler, StreamTransport } from '../../contracts/ports/transport.js';

/** The protocol the transport tests speak (Raft's id; any byte would do). */
export const TEST_PROTOCOL = 1;

const registered = new WeakMap<StreamTransport, { handlers: ProtocolHandlers; off: () => void }>();

/**
 * Installs one kind of handler of TEST_PROTOCOL on `t`, keeping the other kind: each call
 * replaces the message (or request) handler the tests installed before.
 */
export function handlersOf(t: StreamTransport): { onMessage(h: MessageHandler): void; onRequest(h: RequestHandler): void } {
  const set = (patch: ProtocolHandlers): void => {
    const cur = registered.get(t);
    cur?.off();
    const handlers = { ...cur?.handlers, ...patch };
    registered.set(t, { handlers, off: t.handle(TEST_PROTOCOL, handlers) });
  };
  return { onMessage: (h) => set({ onMessage: h }), onRequest: (h) => set({ onRequest: h }) };
}
