/**
 * Tuning parameters of the Vivaldi network-coordinate engine, as hashicorp/serf's
 * coordinate.Config defines them. All distances are in seconds.
 *
 * References (as serf cites them):
 * [1] Dabek et al., "Vivaldi: A decentralized network coordinate system", SIGCOMM 2004.
 * [2] Ledlie, Gardner, Seltzer, "Network Coordinates in the Wild", NSDI 2007.
 * [3] Lee et al., "On suitability of Euclidean embedding for host-based network coordinate
 *     systems", IEEE/ACM ToN 18.1 (2010).
 */
export interface CoordinateConfig {
  /** Dimensions of the Euclidean part of a coordinate (8 per [2], plus a non-Euclidean height). */
  dimensionality: number;
  /** Error of a node that has made no observation yet, and the upper bound of the error. */
  vivaldiErrorMax: number;
  /** Maximum impact one observation has on a node's confidence (c_e in [1]). */
  vivaldiCE: number;
  /** Maximum impact one observation has on a node's coordinate (c_c in [1]). */
  vivaldiCC: number;
  /** Samples kept for the adjustment term of [3]; 0 disables the adjustment. */
  adjustmentWindowSize: number;
  /** Minimum height (seconds); heights are always positive. */
  heightMin: number;
  /** RTT samples kept per node for the moving-median latency filter of [2]. */
  latencyFilterSize: number;
  /** How strongly gravity pulls coordinates back towards the origin ([2]); seconds. */
  gravityRho: number;
}

/** The defaults of serf's coordinate.DefaultConfig(), the values Consul runs with. */
export function defaultCoordinateConfig(): CoordinateConfig {
  return {
    dimensionality: 8,
    vivaldiErrorMax: 1.5,
    vivaldiCE: 0.25,
    vivaldiCC: 0.25,
    adjustmentWindowSize: 20,
    heightMin: 10.0e-6,
    latencyFilterSize: 3,
    gravityRho: 150.0,
  };
}
