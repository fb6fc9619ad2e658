import { ErrorCode, SextantError } from '../../contracts/errors.js';

/**
 * The datacenter check of the forward step: a request for a datacenter other than `ours`
 * (undefined or '' is ours; compared exactly, as Consul's router looks a datacenter up, and
 * `ours` is lower-case as the config loader keeps it) is refused with Consul's `No path to
 * datacenter` until WAN federation exists. Called by the RpcRouter for every call, and by the
 * server's in-process resolver fast path that bypasses it (with the DNS name's datacenter,
 * which DNS compares without case).
 */
export function checkDatacenter(dc: string | undefined, ours: string): void {
  if (dc !== undefined && dc !== '' && dc !== ours) {
    throw new SextantError(ErrorCode.NoPathToDatacenter, 'No path to datacenter');
  }
}
