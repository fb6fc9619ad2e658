import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { NetworkCoordinate, NodeCoordinate } from '../../contracts/model/coordinate.js';
import type { CoordinateBatchUpdateCommand } from './coordinate-command.js';

/**
 * Payload codec of coordinate.batch-update: a msgpack list of `[node, segment, vec, error,
 * adjustment, height]` rows (flat, so a batch of 128 coordinates stays small). Decoding checks
 * every field's type — numbers may be NaN or infinite (the table skips such coordinates as
 * Consul's state store does), but they must be numbers — and throws COMMAND_INVALID naming the row.
 */

/** One wire row of a batch update. */
type CoordinateRow = [string, string, number[], number, number, number];

/** The payload of a coordinate.batch-update record. */
export function coordinateBatchPayload(cmd: CoordinateBatchUpdateCommand): CoordinateRow[] {
  return cmd.updates.map((u) => [u.Node, u.Segment, [...u.Coord.Vec], u.Coord.Error, u.Coord.Adjustment, u.Coord.Height]);
}

/** Decodes and type-checks a coordinate.batch-update payload. */
export function decodeCoordinateBatch(raw: unknown): CoordinateBatchUpdateCommand {
  if (!Array.isArray(raw)) throw invalid('the batch is not a list');
  const updates = raw.map((row: unknown, i): NodeCoordinate => {
    if (!Array.isArray(row) || row.length !== 6) throw invalid(`row ${i} is not a [node, segment, vec, error, adjustment, height] row`);
    const [node, segment, vec, error, adjustment, height] = row as unknown[];
    if (typeof node !== 'string' || typeof segment !== 'string') throw invalid(`row ${i} has a bad node or segment`);
    if (!Array.isArray(vec) || !vec.every((x) => typeof x === 'number')) throw invalid(`row ${i} has a bad Vec`);
    if (typeof error !== 'number' || typeof adjustment !== 'number' || typeof height !== 'number') throw invalid(`row ${i} has a bad Error, Adjustment or Height`);
    const coord: NetworkCoordinate = { Vec: vec as number[], Error: error, Adjustment: adjustment, Height: height };
    return { Node: node, Segment: segment, Coord: coord };
  });
  return { type: 'coordinate.batch-update', updates };
}

function invalid(message: string): SextantError {
  return new SextantError(ErrorCode.CommandInvalid, `coordinate command: ${message}`);
}
