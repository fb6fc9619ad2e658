/**
 * memberlist's protocol-version check on push/pull (state.go verifyProtocol): the ranges of every
 * live node, local and remote, must overlap, and every node's current protocol and delegate
 * versions must lie in the intersection; otherwise the exchange is refused.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Member } from './member.js';
import { NodeStateType, type PushNodeState } from './messages.js';

/** Throws TRANSPORT_FAILED (`Node 'x' protocol version (n) is incompatible: [a, b]`, as memberlist words it) when the versions do not fit. */
export function verifyProtocol(remote: readonly PushNodeState[], local: readonly Member[]): void {
  let maxpmin = 0;
  let minpmax = 255;
  let maxdmin = 0;
  let mindmax = 255;
  const widen = (v: ArrayLike<number>): void => {
    maxpmin = Math.max(maxpmin, v[0] ?? 0);
    minpmax = Math.min(minpmax, v[1] ?? 0);
    maxdmin = Math.max(maxdmin, v[3] ?? 0);
    mindmax = Math.min(mindmax, v[4] ?? 0);
  };
  for (const r of remote) if (r.state === NodeStateType.Alive && r.vsn && r.vsn.length > 0) widen(r.vsn);
  for (const n of local) if (n.state === NodeStateType.Alive) widen(n.vsn);
  const check = (name: string, pcur: number, dcur: number): void => {
    if (pcur < maxpmin || pcur > minpmax) {
      throw new SextantError(ErrorCode.TransportFailed, `Node '${name}' protocol version (${pcur}) is incompatible: [${maxpmin}, ${minpmax}]`);
    }
    if (dcur < maxdmin || dcur > mindmax) {
      throw new SextantError(ErrorCode.TransportFailed, `Node '${name}' delegate protocol version (${dcur}) is incompatible: [${maxdmin}, ${mindmax}]`);
    }
  };
  for (const r of remote) check(r.name, r.vsn?.[2] ?? 0, r.vsn?.[5] ?? 0);
  for (const n of local) check(n.name, n.vsn[2] ?? 0, n.vsn[5] ?? 0);
}
