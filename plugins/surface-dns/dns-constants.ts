/** DNS wire constants (RFC 1035, 2782, 3596, 6891) for the record types and codes Sextant uses. */

/** Resource record types by name. */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

/** Response codes (the low 4 bits of the header, plus EDNS extended codes). */
export const Rcode = {
  NoError: 0,
  FormErr: 1,
  ServFail: 2,
  NxDomain: 3,
  NotImp: 4,
  Refused: 5,
} as const;

/** Header flag bits (second 16-bit word of the header). */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
} as const;

/** The IN class. */
export const CLASS_IN = 1;
/** The EDNS0 Client Subnet option code (RFC 7871). */
export const OPTION_ECS = 8;
/** The classic UDP payload limit without EDNS (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** The largest EDNS payload size honoured (Consul: 65535 minus IP and UDP headers). */
export const MAX_EDNS_UDP_SIZE = 65535 - 68;
/** The largest DNS message over TCP (Consul trims TCP answers to this). */
export const MAX_TCP_SIZE = 65523;
/** The longest name on the wire, length bytes and root included (RFC 1035 §2.3.4). */
export const MAX_NAME_WIRE = 255;
/** The longest label (RFC 1035 §2.3.4). */
export const MAX_LABEL = 63;
