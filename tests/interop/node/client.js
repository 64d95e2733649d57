#!/usr/bin/env node
// vscode-jsonrpc interop client: `node client.js <command> [args...]`.
// Spawns the command (a server implementing the contract in README.md), talks JSON-RPC 2.0 with
// Content-Length framing over the child's stdin/stdout, and runs one scenario of checks.
// stdout: one JSON line per check {"check", "ok", "detail"}, then {"summary": {"passed", "failed"}}.
// Exit code: 0 only when every check passed. The child's stderr and our own logs go to stderr.
'use strict';

const { spawn } = require('node:child_process');
const assert = require('node:assert/strict');
const {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  CancellationTokenSource,
  ParameterStructures,
  ProgressType,
  ResponseError,
} = require('vscode-jsonrpc/node');

const REQUEST_CANCELLED = -32800;
const METHOD_NOT_FOUND = -32601;
const CHECK_TIMEOUT_MS = 15000;

const log = (...args) => console.error('[node-client]', ...args);

const [command, ...commandArgs] = process.argv.slice(2);
if (!command) {
  console.error('usage: node client.js <command> [args...]   e.g. node client.js node server.js');
  process.exit(2);
}

const child = spawn(command, commandArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
let childExit;
const childExited = new Promise((resolve) => {
  child.on('exit', (code, signal) => {
    childExit = { code, signal };
    resolve(childExit);
  });
  child.on('error', (error) => {
    log(`cannot start '${command}': ${error.message}`);
    childExit = { error: error.message };
    resolve(childExit);
  });
});
// Writes to a child that died must not crash the client; the checks report the failure.
child.stdin.on('error', (error) => log('child stdin:', error.message));

const connection = createMessageConnection(
  new StreamMessageReader(child.stdout),
  new StreamMessageWriter(child.stdin),
  { error: log, warn: log, info: () => {}, log: () => {} },
);
connection.onError(([error]) => log('connection error:', error && error.message));
connection.listen();

let passed = 0;
let failed = 0;
let finished = false;

function report(check, ok, detail) {
  if (ok) passed++; else failed++;
  process.stdout.write(JSON.stringify({ check, ok, detail: detail === undefined ? null : detail }) + '\n');
}

function describeError(error) {
  if (error instanceof ResponseError) {
    return { code: error.code, message: error.message, data: error.data === undefined ? null : error.data };
  }
  return { error: error && error.message ? error.message : String(error) };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one check: `body` returns a detail object on success and throws on failure. */
async function check(name, body) {
  try {
    const detail = await withTimeout(Promise.resolve().then(body), CHECK_TIMEOUT_MS, name);
    report(name, true, detail);
  } catch (error) {
    const detail = error instanceof assert.AssertionError
      ? { assertion: error.message.split('\n')[0], actual: error.actual, expected: error.expected }
      : describeError(error);
    if (childExit) detail.server_exited = childExit;
    report(name, false, detail);
  }
}

/** Expects `promise` to reject with a JSON-RPC error; returns the ResponseError. */
async function expectResponseError(promise) {
  try {
    const result = await promise;
    throw new assert.AssertionError({ message: 'expected an error response', actual: result, expected: 'error' });
  } catch (error) {
    if (error instanceof ResponseError) return error;
    throw error;
  }
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function scenario() {
  await check('subtract_by_position', async () => {
    const result = await connection.sendRequest('subtract', 42, 23);
    assert.equal(result, 19);
    return { result };
  });

  await check('subtract_by_name', async () => {
    const result = await connection.sendRequest('subtract', ParameterStructures.byName, { minuend: 42, subtrahend: 23 });
    assert.equal(result, 19);
    return { result };
  });

  await check('sum', async () => {
    const result = await connection.sendRequest('sum', 1, 2, 3, 4, 5.5);
    assert.equal(result, 15.5);
    return { result };
  });

  await check('get_data', async () => {
    const result = await connection.sendRequest('get_data');
    assert.deepEqual(result, ['hello', 5]);
    return { result };
  });

  await check('echo_nested_object', async () => {
    const value = {
      text: 'h\u00e9llo \u4e16\u754c \ud83d\ude80 "quoted" \\ back\nslash',
      integer: -9007199254740991,
      real: 3.25,
      flags: [true, false, null],
      nested: { empty: {}, list: [[], [1, [2, [3]]]], deep: { a: { b: { c: 'd' } } } },
    };
    const result = await connection.sendRequest('echo', ParameterStructures.byName, { value });
    assert.deepEqual(result, value);
    return { keys: Object.keys(result) };
  });

  await check('echo_100kib_string', async () => {
    const chunk = 'plugboard-\u00e9-0123456789-';
    const value = chunk.repeat(Math.ceil(102400 / chunk.length)).slice(0, 102400);
    const result = await connection.sendRequest('echo', ParameterStructures.byName, { value });
    assert.equal(typeof result, 'string');
    assert.equal(result.length, value.length);
    assert.ok(result === value, 'echoed string differs from the one sent');
    return { chars: result.length, utf8_bytes: Buffer.byteLength(result) };
  });

  await check('notifications_recorded', async () => {
    const expected = [
      { method: 'update', params: [1, 2, 3, 4, 5] },
      { method: 'notify_hello', params: { name: 'plugboard' } },
    ];
    await connection.sendNotification('update', 1, 2, 3, 4, 5);
    await connection.sendNotification('notify_hello', ParameterStructures.byName, { name: 'plugboard' });
    // A server may dispatch notifications concurrently with requests: poll briefly for both.
    let received = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      received = (await connection.sendRequest('get_notifications'))
        .filter((entry) => !String(entry.method).startsWith('$/'));
      if (received.length >= expected.length) break;
      await delay(50);
    }
    assert.deepEqual(received, expected);
    return { received };
  });

  await check('fail_error_response', async () => {
    const error = await expectResponseError(
      connection.sendRequest('fail', ParameterStructures.byName, { code: 4242, message: 'boom on request' }));
    assert.equal(error.code, 4242);
    assert.equal(error.message, 'boom on request');
    assert.deepEqual(error.data, { detail: 'requested failure' });
    return describeError(error);
  });

  await check('progress_reports_before_response', async () => {
    const token = 'plugboard-progress-1';
    const reports = [];
    let responded = false;
    let lateReports = 0;
    const subscription = connection.onProgress(new ProgressType(), token, (value) => {
      if (responded) lateReports++;
      reports.push(value);
    });
    try {
      const result = await connection.sendRequest('progress', ParameterStructures.byName, { count: 5, progressToken: token });
      responded = true;
      assert.equal(result, 5);
      assert.deepEqual(reports, [1, 2, 3, 4, 5], 'all 5 $/progress reports, in order, before the response');
      await delay(100);
      assert.equal(lateReports, 0, 'no $/progress report after the response');
      return { result, reports };
    } finally {
      subscription.dispose();
    }
  });

  await check('cancel_slow_request', async () => {
    const source = new CancellationTokenSource();
    const started = Date.now();
    const call = connection.sendRequest('slow', ParameterStructures.byName, { milliseconds: 10000 }, source.token);
    const cancelTimer = setTimeout(() => source.cancel(), 200);
    try {
      const error = await withTimeout(expectResponseError(call), 3000, 'cancelled slow request');
      const elapsedMs = Date.now() - started;
      assert.equal(error.code, REQUEST_CANCELLED);
      assert.ok(elapsedMs < 3000, `answered after ${elapsedMs} ms`);
      return { ...describeError(error), elapsed_ms: elapsedMs };
    } finally {
      clearTimeout(cancelTimer);
      source.dispose();
    }
  });

  await check('cancelled_count', async () => {
    const result = await connection.sendRequest('get_cancelled');
    assert.equal(result, 1);
    return { result };
  });

  await check('method_not_found', async () => {
    const error = await expectResponseError(connection.sendRequest('no_such_method', ParameterStructures.byName, { x: 1 }));
    assert.equal(error.code, METHOD_NOT_FOUND);
    return describeError(error);
  });
}

async function finish() {
  if (finished) return;
  finished = true;
  connection.dispose();
  child.stdin.end();
  const exited = await Promise.race([childExited, delay(5000).then(() => undefined)]);
  if (!exited) {
    log('server did not exit within 5 s of stdin closing; killing it');
    child.kill('SIGKILL');
  }
  process.stdout.write(JSON.stringify({ summary: { passed, failed } }) + '\n');
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
  // Do not wait for stray timers or handles.
  setImmediate(() => process.exit(process.exitCode));
}

scenario()
  .catch((error) => report('scenario', false, describeError(error)))
  .finally(finish);
