/**
 * The resource records Sextant answers with, as plain data for the encoder. Owner names and
 * name-valued RDATA are dotted text without the trailing dot (`web.service.consul`); QNAME means
 * "the question's own name", written as a pointer to it so the client sees its own spelling.
 */

/** Marks a record owned by the question name. */
export const QNAME = Symbol('qname');

/** A record's owner: dotted text, or the question's own name. */
export type OwnerName = string | typeof QNAME;

/** The RDATA of the types Sextant answers with, keyed by the numeric type. */
export type RecordData =
  | { type: 1; ip: Uint8Array }
  | { type: 28; ip: Uint8Array }
  | { type: 2 | 5 | 12; target: string }
  | { type: 16; strings: readonly Uint8Array[] }
  | { type: 33; priority: number; weight: number; port: number; target: string }
  | {
      type: 6;
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    };

/** One resource record of class IN. */
export interface DnsRecord {
  name: OwnerName;
  ttl: number;
  data: RecordData;
}

/** An EDNS option, raw. */
export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

/** The OPT pseudo-record of a response. */
export interface ResponseOpt {
  udpSize: number;
  options: readonly EdnsOption[];
}

/** A whole response, before trimming and encoding. */
export interface DnsResponse {
  id: number;
  /** Header flags without the rcode bits. */
  flags: number;
  rcode: number;
  /** The question's wire bytes (name, type, class) copied from the query; absent for a FORMERR without one. */
  question?: { wire: Uint8Array; nameLength: number; name: string };
  answers: DnsRecord[];
  /**
   * Per answer (same index), the additional records that exist only for it (an SRV target's
   * address); trimming an answer drops them too.
   */
  glue?: (readonly DnsRecord[] | undefined)[];
  authority: DnsRecord[];
  /** Answers the responder already left out for the UDP answer limit (they count as trimmed). */
  omitted?: number;
  /** Additional records not tied to one answer. */
  additional: DnsRecord[];
  opt?: ResponseOpt;
}
