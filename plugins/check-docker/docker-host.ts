import { ErrorCode, SextantError } from '../../contracts/errors.js';

/** Consul's default Docker endpoint. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** Where the Docker Engine API listens. */
export type DockerEndpoint =
  | { readonly network: 'unix'; readonly socketPath: string }
  | { readonly network: 'tcp'; readonly host: string; readonly port: number };

/**
 * Parses `$DOCKER_HOST` (`unix:///path/docker.sock` or `tcp://host:port`; empty → the default
 * socket). Throws SextantError CONFIG_INVALID `invalid docker host: <value>` otherwise.
 */
export function parseDockerHost(value: string | undefined): DockerEndpoint {
  const v = value === undefined || value === '' ? DEFAULT_DOCKER_HOST : value;
  const i = v.indexOf('://');
  const bad = (): SextantError => new SextantError(ErrorCode.ConfigInvalid, `invalid docker host: ${v}`);
  if (i < 0) throw bad();
  const scheme = v.slice(0, i);
  const addr = v.slice(i + 3);
  if (scheme === 'unix') {
    if (addr === '') throw bad();
    return { network: 'unix', socketPath: addr };
  }
  if (scheme === 'tcp' || scheme === 'http') {
    const m = /^(\[[^\]]+\]|[^:/]+):([0-9]{1,5})\/?$/.exec(addr);
    if (!m) throw bad();
    return { network: 'tcp', host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  }
  throw bad();
}
