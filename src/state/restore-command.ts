/**
 * Replaces the whole replicated state with a snapshot image (StateStore.snapshot's bytes, as
 * `PUT /v1/snapshot` carries it in state.bin). Committed through Raft like any write, so every
 * server replaces its state at the same index.
 */
export interface StateRestoreCommand {
  type: 'state.restore';
  image: Uint8Array;
}
