import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './load-generator.js';

/** Debian's wrk, if installed: a C load generator that leaves the CPU to the server under test. */
export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

function parseMs(s: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/**
 * Runs wrk with `connections` keep-alive connections (closed loop: each sends its next request
 * when the answer arrives) for `seconds`. `lua` is a wrk script body (request() etc.) or
 * undefined for plain GETs of `url`.
 */
export function wrk(url: string, opts: { connections: number; seconds: number; lua?: string }): Promise<LoadResult> {
  if (!WRK) throw new Error('wrk is not installed');
  const args = ['-t2', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency'];
  if (opts.lua) {
    const file = join(mkdtempSync(join(tmpdir(), 'wrk-')), 'script.lua');
    writeFileSync(file, opts.lua);
    args.push('-s', file);
  }
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(WRK, args, { timeout: (opts.seconds + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(err);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
      const total = Number(/(\d+) requests in/.exec(stdout)?.[1]);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      resolve({
        requests: total,
        errors,
        seconds: opts.seconds,
        perSecond: rps,
        p50Ms: parseMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? ''),
        p99Ms: parseMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? ''),
        maxMs: parseMs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(stdout)?.[1] ?? ''),
      });
    });
  });
}

/**
 * A wrk script that sends `method` to `path(n)` with body `body(n)`, n counting requests per
 * thread; `path` and `body` are Lua expressions over n.
 */
export function requestScript(method: string, path: string, body: string, setup = ''): string {
  return `
${setup}
local n = 0
request = function()
  n = n + 1
  return wrk.format(${JSON.stringify(method)}, ${path}, { ["Content-Type"] = "application/octet-stream" }, ${body})
end
`;
}
