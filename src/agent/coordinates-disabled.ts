import type { RuntimeConfig } from '../../contracts/runtime-config.js';

/**
 * Whether `disable_coordinates` is set (Consul: no coordinate is sent, and /v1/coordinate/*
 * answers 401 `Coordinate support disabled`). Read defensively: the RuntimeConfig field
 * `disableCoordinates` comes with the gossip configuration and may be absent; absent means false.
 */
export function coordinatesDisabled(config: RuntimeConfig): boolean {
  return (config as RuntimeConfig & { readonly disableCoordinates?: boolean }).disableCoordinates === true;
}
