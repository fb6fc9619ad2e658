import type { Command } from '../command.js';
import { operatorAutopilotGetConfigCommand, operatorAutopilotSetConfigCommand, operatorAutopilotStateCommand } from './operator-autopilot.js';
import { operatorRaftListPeersCommand, operatorRaftRemovePeerCommand, operatorRaftTransferLeaderCommand } from './operator-raft.js';
import { catalogDatacentersCommand } from './catalog-datacenters.js';
import { catalogNodesCommand } from './catalog-nodes.js';
import { catalogServicesCommand } from './catalog-services.js';
import { kvDeleteCommand } from './kv-delete.js';
import { kvExportCommand } from './kv-export.js';
import { kvGetCommand } from './kv-get.js';
import { kvImportCommand } from './kv-import.js';
import { kvPutCommand } from './kv-put.js';
import { lockCommand } from './lock.js';
import { eventCommand } from './event.js';
import { keygenCommand } from './keygen.js';
import { maintCommand } from './maint.js';
import { servicesDeregisterCommand } from './services-deregister.js';
import { servicesRegisterCommand } from './services-register.js';
import { membersCommand } from './members.js';
import { joinCommand } from './join.js';
import { leaveCommand } from './leave.js';
import { forceLeaveCommand } from './force-leave.js';
import { keyringCommand } from './keyring.js';
import { reloadCommand } from './reload.js';
import { rttCommand } from './rtt.js';
import { snapshotInspectCommand } from './snapshot-inspect.js';
import { snapshotRestoreCommand } from './snapshot-restore.js';
import { snapshotSaveCommand } from './snapshot-save.js';
import { infoCommand } from './info.js';
import { monitorCommand } from './monitor.js';
import { versionCommand } from './version.js';
import { watchCommand } from './watch.js';

/** The HTTP-client commands (and `version`), for the CLI dispatcher's registry. */
export const HTTP_CLIENT_COMMANDS: readonly Command[] = [
  kvGetCommand,
  kvPutCommand,
  kvDeleteCommand,
  kvExportCommand,
  kvImportCommand,
  membersCommand,
  joinCommand,
  leaveCommand,
  forceLeaveCommand,
  keyringCommand,
  reloadCommand,
  versionCommand,
  catalogDatacentersCommand,
  catalogNodesCommand,
  catalogServicesCommand,
  maintCommand,
  servicesRegisterCommand,
  servicesDeregisterCommand,
  lockCommand,
  eventCommand,
  keygenCommand,
  watchCommand,
  infoCommand,
  monitorCommand,
  operatorAutopilotGetConfigCommand,
  operatorAutopilotSetConfigCommand,
  operatorAutopilotStateCommand,
  operatorRaftListPeersCommand,
  operatorRaftRemovePeerCommand,
  operatorRaftTransferLeaderCommand,
  rttCommand,
  snapshotSaveCommand,
  snapshotRestoreCommand,
  snapshotInspectCommand,
];

export { maintCommand, servicesDeregisterCommand, servicesRegisterCommand };

export { catalogDatacentersCommand, catalogNodesCommand, catalogServicesCommand };

export { kvDeleteCommand, kvExportCommand, kvGetCommand, kvImportCommand, kvPutCommand, membersCommand, reloadCommand, versionCommand };

export { eventCommand, infoCommand, keygenCommand, lockCommand, monitorCommand, rttCommand, watchCommand };

export { forceLeaveCommand, joinCommand, keyringCommand, leaveCommand };
