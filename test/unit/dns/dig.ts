import { execFile } from 'node:child_process';

/** One record line of dig's output. */
export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

/** dig's answer, parsed. */
export interface DigResult {
  status: string;
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** `MSG SIZE rcvd`. */
  size: number;
  /** The OPT pseudo-section's `udp:` value, if any. */
  ednsUdp: number | undefined;
  raw: string;
}

/**
 * Runs the real `dig` (Debian dnsutils) against 127.0.0.1:`port` with `args` and parses its
 * default output. Rejects with a clear message when dig is not installed (.ci/run installs it).
 */
export function dig(port: number, args: string[], host = '127.0.0.1'): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile('dig', [`@${host}`, '-p', String(port), '+time=3', '+tries=1', ...args], { timeout: 15_000 }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('dig is not installed: apt-get install dnsutils (the DNS tests need it)'));
        return;
      }
      if (err && !stdout) {
        reject(err);
        return;
      }
      resolve(parseDig(stdout));
    });
  });
}

/** Parses dig's default output. */
export function parseDig(out: string): DigResult {
  const section = (title: string): DigRecord[] => {
    const start = out.indexOf(`;; ${title} SECTION:\n`);
    if (start < 0) return [];
    const body = out.slice(start).split('\n').slice(1);
    const rows: DigRecord[] = [];
    for (const line of body) {
      if (line.trim() === '' || line.startsWith(';')) break;
      const [name, ttl, , type, ...data] = line.split(/\s+/);
      rows.push({ name: name!, ttl: Number(ttl), type: type!, data: data.join(' ') });
    }
    return rows;
  };
  return {
    status: /status: (\w+)/.exec(out)?.[1] ?? 'NO-ANSWER',
    flags: (/;; flags: ([^;]*);/.exec(out)?.[1] ?? '').trim().split(/\s+/).filter((f) => f !== ''),
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    size: Number(/MSG SIZE\s+rcvd: (\d+)/.exec(out)?.[1] ?? -1),
    ednsUdp: /; EDNS: version: \d+, flags:[^;]*; udp: (\d+)/.test(out) ? Number(/udp: (\d+)/.exec(out)![1]) : undefined,
    raw: out,
  };
}
