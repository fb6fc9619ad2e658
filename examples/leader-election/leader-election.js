#!/usr/bin/env node
// Leader election for an application, through Sextant's (or Consul's) HTTP API only.
//
//   node leader-election.js --id node-a [--service svc] [--addr http://127.0.0.1:8500]
//                           [--ttl 10s] [--lock-delay 1s]
//
// The recipe (Consul's "application leader election"):
//   1. create a session with a TTL and behavior "delete" (the leader key dies with the session);
//   2. PUT ?acquire=<session> on service/<name>/leader with our ID as the value;
//   3. renew the session every TTL/2;
//   4. watch the key with blocking reads; when it has no holder (or is gone), try to acquire it.
// A leader that dies stops renewing; the agent invalidates its session after TTL × 2 at the
// latest, which deletes the key and wakes every follower's blocking read. A leader that is
// stopped with SIGINT/SIGTERM releases the key first (no lock-delay) and destroys its session.
//
// Prints "I am the leader" when it takes the lead and "following <id>" when another copy leads.
// Plain JavaScript on Node's built-ins (fetch), no dependencies.

const args = process.argv.slice(2);
function opt(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

const addr = (opt('addr', process.env.SEXTANT_HTTP_ADDR || process.env.CONSUL_HTTP_ADDR || 'http://127.0.0.1:8500')).replace(/\/$/, '');
const base = /^https?:\/\//.test(addr) ? addr : `http://${addr}`;
const id = opt('id', `${process.pid}`);
const service = opt('service', 'example');
const ttl = opt('ttl', '10s');
const lockDelay = opt('lock-delay', '1s');
const key = `service/${service}/leader`;
const keyPath = `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

/** Go-style duration ("10s", "1.5s", "500ms") to milliseconds. */
function durationMs(s) {
  const m = /^([0-9.]+)(ms|s|m)$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2]];
}
const ttlMs = durationMs(ttl);
const lockDelayMs = durationMs(lockDelay);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (line) => process.stdout.write(`${line}\n`);

async function call(method, path, body, signal) {
  const res = await fetch(base + path, { method, body, signal });
  const text = await res.text();
  return { status: res.status, index: Number(res.headers.get('x-consul-index') || 0), text };
}

let session = '';
let leader = false;
let following = '';
let stopping = false;
const watchAbort = new AbortController();

async function createSession() {
  const body = JSON.stringify({ Name: `${service}-leader-${id}`, TTL: ttl, Behavior: 'delete', LockDelay: lockDelay });
  const r = await call('PUT', '/v1/session/create', body);
  if (r.status !== 200) throw new Error(`session create: ${r.status} ${r.text}`);
  session = JSON.parse(r.text).ID;
}

/** Renews every TTL/2; a 404 means the session was invalidated: we are no longer leader. */
async function renewLoop() {
  while (!stopping) {
    await sleep(ttlMs / 2);
    if (stopping) return;
    try {
      const r = await call('PUT', `/v1/session/renew/${session}`);
      if (r.status === 404) {
        if (leader) log('lost leadership (session invalidated)');
        leader = false;
        await createSession();
      }
    } catch {
      // The agent did not answer: try again sooner; the TTL × 2 grace covers a few misses.
      await sleep(1000);
    }
  }
}

async function tryAcquire() {
  const r = await call('PUT', `${keyPath}?acquire=${session}`, id);
  if (r.status === 500 && /invalid session/.test(r.text)) {
    await createSession(); // our session died under us; take a new one
    return false;
  }
  return r.text.trim() === 'true';
}

function becameLeader() {
  if (!leader) log('I am the leader');
  leader = true;
  following = '';
}

async function watchLoop() {
  let index = 0;
  while (!stopping) {
    let r;
    try {
      r = await call('GET', `${keyPath}${index > 0 ? `?index=${index}&wait=${Math.ceil(ttlMs / 1000)}s` : ''}`, undefined, watchAbort.signal);
    } catch {
      if (stopping) return;
      await sleep(1000);
      index = 0;
      continue;
    }
    // Blocking-query hygiene: an index that goes backwards (or to 0) means start over.
    const next = r.index > 0 && r.index >= index ? r.index : 0;
    const entry = r.status === 200 ? JSON.parse(r.text)[0] : null;
    if (entry && entry.Session === session) {
      becameLeader();
    } else if (entry && entry.Session) {
      const who = entry.Value ? Buffer.from(entry.Value, 'base64').toString('utf8') : '?';
      if (leader || following !== who) log(`following ${who}`);
      leader = false;
      following = who;
    } else if (await tryAcquire()) {
      becameLeader();
    } else {
      // Free but refused: a lock-delay is running (or someone just won): look again shortly.
      await sleep(Math.min(lockDelayMs, 1000) || 100);
      index = 0;
      continue;
    }
    index = next;
  }
}

async function shutdown() {
  if (stopping) return;
  stopping = true;
  watchAbort.abort();
  try {
    // Release explicitly (no lock-delay for the next leader), then drop the session.
    if (leader) await call('PUT', `${keyPath}?release=${session}`, id);
    if (session) await call('PUT', `/v1/session/destroy/${session}`);
  } catch {
    // The agent is gone: the TTL will clean up.
  }
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

createSession()
  .then(() => {
    log(`session ${session}`);
    void renewLoop();
    return watchLoop();
  })
  .catch((e) => {
    process.stderr.write(`leader-election: ${e.message}\n`);
    process.exit(1);
  });
