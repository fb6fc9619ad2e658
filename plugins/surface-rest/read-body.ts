import type { IncomingMessage } from 'node:http';
import { ErrorCode, SextantError } from '../../contracts/errors.js';

/** Builds the 413 error for a body over `limit`, with Consul's text for KV values. */
export type TooLargeMessage = (receivedBytes: number, limit: number) => string;

/** Consul's text for a KV value over limits.kv_max_value_size. */
export const kvTooLarge: TooLargeMessage = (n, max) =>
  `Request body(${n} bytes) too large, max size: ${max} bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.`;

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is
 * refused before reading; a streamed (chunked) body stops being buffered once it passes the
 * limit and is drained, then refused, so memory stays bounded and the 413 still reaches the
 * client. Rejects with TOO_LARGE (413), or BAD_REQUEST when the client aborts mid-body.
 */
export function readBody(req: IncomingMessage, limit: number, message: TooLargeMessage): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (Number.isFinite(n) && n > limit) {
      // Not read at all; node discards the rest after the answer.
      return Promise.reject(new SextantError(ErrorCode.TooLarge, message(n, limit)));
    }
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      // Past the limit, keep draining (so the 413 can be delivered) but stop buffering.
      if (total <= limit) chunks.push(chunk);
      else chunks.length = 0;
    };
    const onEnd = (): void => {
      cleanup();
      if (total > limit) reject(new SextantError(ErrorCode.TooLarge, message(total, limit)));
      else resolve(Buffer.concat(chunks, total));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new SextantError(ErrorCode.BadRequest, 'Request body could not be read', undefined, { cause: e }));
    };
    const onClose = (): void => {
      if (req.complete) return;
      cleanup();
      reject(new SextantError(ErrorCode.BadRequest, 'Request body could not be read: client went away'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
