#!/usr/bin/env node
// vscode-jsonrpc benchmark baseline for Plugboard's JSON-RPC engine.
//
//   node bench.js [--seconds S | --iterations N] [--warmup W] [--in-flight K] [-- <server command> [args...]]
//
// Spawns `node server.js` (or the given server command), then measures `echo` over stdio with
// Content-Length framing:
//   sequential: one request at a time, mean microseconds per round trip, ~100 B and 64 KiB values;
//   pipelined:  K (default 64) requests kept in flight, requests per second, for both sizes.
// Each of the four phases runs for S seconds (default 2) or N requests, after W warm-up requests.
// stdout: one JSON object {"sequential":{"small_us","large_us"},"pipelined":{"small_rps","large_rps"}}.
// Settings and progress go to stderr.
'use strict';

const path = require('node:path');
const { spawn } = require('node:child_process');
const {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  ParameterStructures,
} = require('vscode-jsonrpc/node');

const SMALL_BYTES = 100;
const LARGE_BYTES = 64 * 1024;

function usage(message) {
  if (message) console.error(`bench.js: ${message}`);
  console.error('usage: node bench.js [--seconds S | --iterations N] [--warmup W] [--in-flight K] [-- <server command> [args...]]');
  process.exit(2);
}

function parseArgs(argv) {
  const options = { seconds: undefined, iterations: undefined, warmup: 200, inFlight: 64, server: undefined };
  const positiveNumber = (flag, text, integer) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      usage(`${flag} needs a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${arg} needs a value`));
    switch (arg) {
      case '--seconds': options.seconds = positiveNumber(arg, next(), false); break;
      case '--iterations': options.iterations = positiveNumber(arg, next(), true); break;
      case '--warmup': {
        const text = next();
        options.warmup = text === '0' ? 0 : positiveNumber(arg, text, true);
        break;
      }
      case '--in-flight': options.inFlight = positiveNumber(arg, next(), true); break;
      case '--': options.server = argv.slice(i + 1); i = argv.length; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument '${arg}'`);
    }
  }
  if (options.seconds !== undefined && options.iterations !== undefined) {
    usage('give --seconds or --iterations, not both');
  }
  if (options.seconds === undefined && options.iterations === undefined) options.seconds = 2;
  if (options.server !== undefined && options.server.length === 0) usage('no server command after --');
  return options;
}

const options = parseArgs(process.argv.slice(2));
const serverCommand = options.server ?? [process.execPath, path.join(__dirname, 'server.js')];

/** Whether a phase that started at `startNs` and has issued `count` requests should issue another. */
function shouldContinue(count, startNs) {
  if (options.iterations !== undefined) return count < options.iterations;
  return Number(process.hrtime.bigint() - startNs) < options.seconds * 1e9;
}

function payload(bytes) {
  const pattern = 'plugboard-benchmark-0123456789-';
  return pattern.repeat(Math.ceil(bytes / pattern.length)).slice(0, bytes);
}

async function main() {
  const child = spawn(serverCommand[0], serverCommand.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('error', (error) => {
    console.error(`bench.js: cannot start '${serverCommand.join(' ')}': ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (!finished) {
      console.error(`bench.js: server exited early (code ${code}, signal ${signal})`);
      process.exit(1);
    }
  });
  let finished = false;

  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
    { error: (m) => console.error('[bench]', m), warn: (m) => console.error('[bench]', m), info: () => {}, log: () => {} },
  );
  connection.listen();

  const echo = (value) => connection.sendRequest('echo', ParameterStructures.byName, { value });

  async function verify(value) {
    const result = await echo(value);
    if (result !== value) throw new Error(`echo returned a different value (${String(result).length} chars)`);
  }

  async function sequential(value) {
    await verify(value);
    for (let i = 0; i < options.warmup; i++) await echo(value);
    let count = 0;
    const start = process.hrtime.bigint();
    while (shouldContinue(count, start)) {
      await echo(value);
      count++;
    }
    const elapsedNs = Number(process.hrtime.bigint() - start);
    return { perCallUs: elapsedNs / 1e3 / count, count };
  }

  function pipelined(value) {
    return new Promise((resolve, reject) => {
      let issued = 0;
      let completed = 0;
      let start;
      const issue = () => {
        issued++;
        echo(value).then(() => {
          completed++;
          if (shouldContinue(issued, start)) issue();
          else if (completed === issued) {
            const elapsedNs = Number(process.hrtime.bigint() - start);
            resolve({ rps: completed / (elapsedNs / 1e9), count: completed });
          }
        }, reject);
      };
      start = process.hrtime.bigint();
      for (let i = 0; i < options.inFlight && shouldContinue(issued, start); i++) issue();
    });
  }

  async function pipelinedWithWarmup(value) {
    const warm = Math.max(options.warmup, options.inFlight);
    await Promise.all(Array.from({ length: warm }, () => echo(value)));
    return pipelined(value);
  }

  const small = payload(SMALL_BYTES);
  const large = payload(LARGE_BYTES);
  const mode = options.iterations !== undefined ? `${options.iterations} requests` : `${options.seconds} s`;
  console.error(`bench.js: server '${serverCommand.join(' ')}', ${mode} per phase, warm-up ${options.warmup}, ${options.inFlight} in flight`);

  const seqSmall = await sequential(small);
  console.error(`  sequential small (${SMALL_BYTES} B): ${seqSmall.perCallUs.toFixed(1)} us/call over ${seqSmall.count}`);
  const seqLarge = await sequential(large);
  console.error(`  sequential large (${LARGE_BYTES} B): ${seqLarge.perCallUs.toFixed(1)} us/call over ${seqLarge.count}`);
  const pipeSmall = await pipelinedWithWarmup(small);
  console.error(`  pipelined small: ${pipeSmall.rps.toFixed(0)} req/s over ${pipeSmall.count}`);
  const pipeLarge = await pipelinedWithWarmup(large);
  console.error(`  pipelined large: ${pipeLarge.rps.toFixed(0)} req/s over ${pipeLarge.count}`);

  finished = true;
  connection.dispose();
  child.stdin.end();
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
  clearTimeout(killTimer);

  const round = (x, digits) => Number(x.toFixed(digits));
  process.stdout.write(JSON.stringify({
    sequential: { small_us: round(seqSmall.perCallUs, 2), large_us: round(seqLarge.perCallUs, 2) },
    pipelined: { small_rps: round(pipeSmall.rps, 1), large_rps: round(pipeLarge.rps, 1) },
  }) + '\n');
}

main().catch((error) => {
  console.error(`bench.js: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
