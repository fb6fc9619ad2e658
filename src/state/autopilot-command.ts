import type { AutopilotSettings } from '../../contracts/services/operator-service.js';

/**
 * The autopilot configuration's replicated command (wire tag 240 in CommandTag; Consul's
 * AutopilotRequestType): stores the settings, only when the stored ModifyIndex equals `cas` if
 * given. Answers whether it was stored.
 */
export interface AutopilotSetConfigCommand {
  type: 'autopilot.set-config';
  settings: AutopilotSettings;
  /** Check-and-set: the ModifyIndex the stored configuration must have (undefined: unconditional). */
  cas?: number;
}
