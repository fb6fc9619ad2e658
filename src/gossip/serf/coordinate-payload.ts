/**
 * The coordinate serf puts in every ack (ping_delegate.go): the ping version byte 1, then the
 * coordinate as go-msgpack writes coordinate.Coordinate (Vec, Error, Adjustment, Height, all float64).
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { Coordinate } from '../coordinate/coordinate.js';
import { decodeMsgpack, MsgpackWriter } from '../memberlist/msgpack.js';

/** serf's PingVersion. */
export const PING_VERSION = 1;

/** Encodes `c` as an ack payload. */
export function encodeCoordinatePayload(c: Coordinate): Uint8Array {
  const w = new MsgpackWriter().byte(PING_VERSION).map(4).str('Vec').array(c.vec.length);
  for (const x of c.vec) w.float64(x);
  return w.str('Error').float64(c.error).str('Adjustment').float64(c.adjustment).str('Height').float64(c.height).finish();
}

/** Decodes an ack payload. Throws BAD_REQUEST on another ping version or a malformed coordinate. */
export function decodeCoordinatePayload(payload: Uint8Array): Coordinate {
  if (payload[0] !== PING_VERSION) throw new SextantError(ErrorCode.BadRequest, `Unsupported ping version: ${payload[0]}`);
  const v = decodeMsgpack(payload, 1).value;
  if (!(v instanceof Map)) throw new SextantError(ErrorCode.BadRequest, 'Failed to decode coordinate from ping');
  return Coordinate.fromJSON(Object.fromEntries(v));
}
