import type { RuntimeConfig } from '../../contracts/runtime-config.js';

/**
 * Whether `disable_coordinates` is set (Consul: no coordinate is sent, and /v1/coordinate/*
 * answers 401 `Coordinate support disabled`). Read at start, as Consul does (a restart-only
 * setting). A config built without the field (an older plugin's fake, say) counts as false.
 */
export function coordinatesDisabled(config: RuntimeConfig): boolean {
  return config.disableCoordinates === true;
}
