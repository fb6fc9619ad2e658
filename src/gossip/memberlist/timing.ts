/** memberlist's scaling formulas (util.go) and Consul's LAN gossip timings (DefaultLANConfig as Consul tunes it). */

/** Retransmits of one broadcast: retransmitMult × ceil(log10(n + 1)). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** The base suspicion timeout in ms: suspicionMult × max(1, log10(max(1, n))) × probeIntervalMs (Go truncates the scale to 3 decimals). */
export function suspicionTimeout(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return (suspicionMult * Math.floor(nodeScale * 1000) * probeIntervalMs) / 1000;
}

/** Consul's `gossip_lan` defaults (memberlist DefaultLANConfig). */
export const LAN_TIMINGS = {
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  tcpTimeoutMs: 10_000,
  indirectChecks: 3,
  awarenessMaxMultiplier: 8,
  udpBufferSize: 1400,
} as const;
