/**
 * serf's tag encoding in memberlist node meta (serf.go encodeTags/decodeTags): protocol 3 and
 * later write the magic byte 255 then the tags as a msgpack map; older meta is the bare `role`.
 */
import { decodeMsgpack, MsgpackWriter } from '../memberlist/msgpack.js';
import { decodeStringMap } from './messages.js';

/** serf's tagMagicByte. */
export const TAG_MAGIC_BYTE = 255;

/** Node meta carrying `tags`, as serf of protocol version `protocol` writes it. */
export function encodeTags(tags: Readonly<Record<string, string>>, protocol = 4): Uint8Array {
  if (protocol < 3) return new TextEncoder().encode(tags.role ?? '');
  const entries = Object.entries(tags);
  const w = new MsgpackWriter().byte(TAG_MAGIC_BYTE).map(entries.length);
  for (const [k, v] of entries) w.str(k).str(v);
  return w.finish();
}

/** The tags in node meta; meta without the magic byte is a bare role. Throws TRANSPORT_FAILED on a malformed map. */
export function decodeTags(meta: Uint8Array): Record<string, string> {
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) return { role: new TextDecoder().decode(meta) };
  return decodeStringMap(decodeMsgpack(meta, 1).value);
}
