import { ErrorCode, SextantError } from '../errors.js';
import type { ProtocolHandlers } from './transport.js';

/**
 * Executable rule of the StreamTransport contract, shared by every adapter: registers
 * `handlers` for `protocol` in `table` (TRANSPORT_FAILED for a protocol outside 0–255 or one
 * that already has handlers) and returns the function that removes exactly them.
 */
export function registerProtocol(table: Map<number, ProtocolHandlers>, protocol: number, handlers: ProtocolHandlers): () => void {
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
    throw new SextantError(ErrorCode.TransportFailed, `stream protocol ${protocol} is not a byte (0-255)`);
  }
  if (table.has(protocol)) throw new SextantError(ErrorCode.TransportFailed, `stream protocol ${protocol} already has handlers`);
  table.set(protocol, handlers);
  return () => {
    if (table.get(protocol) === handlers) table.delete(protocol);
  };
}
