import http from 'node:http';

/** One request of a closed-loop run: method, path and body, built per call from the request number. */
export interface LoadRequest {
  method: string;
  path: string;
  body?: Buffer;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The slowest request's latency. */
  maxMs: number;
}

/** Sends one request and resolves with the status code once the body is fully read. */
function send(agent: http.Agent, host: string, port: number, req: LoadRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      { agent, host, port, method: req.method, path: req.path, headers: { ...req.headers, 'content-length': req.body?.length ?? 0 } },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * A closed-loop HTTP load generator: `concurrency` workers on keep-alive connections, each
 * sending its next request as soon as the previous answer is read, for `seconds`.
 */
export async function closedLoop(opts: {
  host: string;
  port: number;
  concurrency: number;
  seconds: number;
  request: (n: number) => LoadRequest;
  okStatus?: number;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  let n = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const req = opts.request(n++);
      const t0 = performance.now();
      try {
        const status = await send(agent, opts.host, opts.port, req);
        if (status !== (opts.okStatus ?? 200)) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : 0,
  };
}
