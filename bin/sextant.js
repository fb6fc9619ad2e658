#!/usr/bin/env node
// Sextant's command-line entry point. Runs the build in dist/ (made by `npm install` via the
// `prepare` script, or `npm run build`).
// SQLite work runs on libuv's thread pool; a larger pool keeps log fsyncs from starving fs and DNS work.
process.env.UV_THREADPOOL_SIZE ??= '8';
const { main } = await import('../dist/src/cli/main.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('sextant: the build is missing; run `npm install` (or `npm run build`) first');
    process.exit(1);
  }
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
