/**
 * Network coordinates as Consul's JSON carries them (serf's coordinate.Coordinate): an
 * 8-dimensional Vivaldi vector plus height, adjustment and error; distances are in seconds.
 */
export interface NetworkCoordinate {
  Vec: number[];
  Error: number;
  Adjustment: number;
  Height: number;
}

/** One node's LAN coordinate (Consul's structs.Coordinate: /v1/coordinate/nodes entries). */
export interface NodeCoordinate {
  Node: string;
  Segment: string;
  Coord: NetworkCoordinate;
}

/**
 * One datacenter's servers and their WAN coordinates (Consul's structs.DatacenterMap:
 * /v1/coordinate/datacenters entries). AreaID is "WAN" for the WAN pool.
 */
export interface DatacenterMap {
  Datacenter: string;
  AreaID: string;
  Coordinates: NodeCoordinate[];
}
