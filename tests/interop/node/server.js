#!/usr/bin/env node
// vscode-jsonrpc test server for Plugboard's interop tests and benchmarks.
// Speaks JSON-RPC 2.0 with Content-Length framing over its own stdin/stdout and implements the
// method contract in README.md. stdout carries protocol only; every log line goes to stderr.
'use strict';

const {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  ResponseError,
  ErrorCodes,
} = require('vscode-jsonrpc/node');

/** LSP's RequestCancelled: the error a cancelled request answers with. */
const REQUEST_CANCELLED = -32800;

const log = (...args) => console.error('[node-peer]', ...args);
const logger = { error: log, warn: log, info: () => {}, log: () => {} };

const connection = createMessageConnection(
  new StreamMessageReader(process.stdin),
  new StreamMessageWriter(process.stdout),
  logger,
);

/** Every notification received (other than the protocol's own $/ ones), in arrival order. */
const notifications = [];
let cancelledCount = 0;

const invalidParams = (message) => new ResponseError(ErrorCodes.InvalidParams, message);
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

function subtract(params) {
  let minuend;
  let subtrahend;
  if (Array.isArray(params) && params.length === 2) {
    [minuend, subtrahend] = params;
  } else if (isObject(params)) {
    ({ minuend, subtrahend } = params);
  } else {
    throw invalidParams('subtract takes [minuend, subtrahend] or {"minuend": n, "subtrahend": n}');
  }
  if (!isNumber(minuend) || !isNumber(subtrahend)) {
    throw invalidParams('subtract: minuend and subtrahend must be numbers');
  }
  return minuend - subtrahend;
}

function sum(params) {
  const values = params === undefined ? [] : params;
  if (!Array.isArray(values) || !values.every(isNumber)) {
    throw invalidParams('sum takes its numbers by position: [n1, n2, ...]');
  }
  return values.reduce((total, value) => total + value, 0);
}

function echo(params) {
  if (!isObject(params) || !Object.prototype.hasOwnProperty.call(params, 'value')) {
    throw invalidParams('echo takes {"value": <any JSON>}');
  }
  return params.value;
}

function slow(params, token) {
  const milliseconds = isObject(params) ? params.milliseconds : undefined;
  if (!isNumber(milliseconds) || milliseconds < 0) {
    throw invalidParams('slow takes {"milliseconds": n} with n >= 0');
  }
  return new Promise((resolve, reject) => {
    let subscription;
    const cancelled = () => {
      clearTimeout(timer);
      subscription?.dispose();
      cancelledCount++;
      reject(new ResponseError(REQUEST_CANCELLED, 'The request was cancelled.'));
    };
    const timer = setTimeout(() => {
      subscription?.dispose();
      resolve('done');
    }, milliseconds);
    if (token.isCancellationRequested) {
      cancelled();
      return;
    }
    subscription = token.onCancellationRequested(cancelled);
  });
}

async function progress(params) {
  if (!isObject(params) || !isNumber(params.count) || params.count < 0 ||
      (typeof params.progressToken !== 'string' && typeof params.progressToken !== 'number')) {
    throw invalidParams('progress takes {"count": n, "progressToken": string | number}');
  }
  const { count, progressToken } = params;
  for (let i = 1; i <= count; i++) {
    // Awaiting each write keeps the reports ordered and ahead of the response.
    await connection.sendNotification('$/progress', { token: progressToken, value: i });
  }
  return count;
}

function fail(params) {
  if (!isObject(params) || !Number.isInteger(params.code) || typeof params.message !== 'string') {
    throw invalidParams('fail takes {"code": integer, "message": string}');
  }
  throw new ResponseError(params.code, params.message, { detail: 'requested failure' });
}

const methods = {
  subtract,
  sum,
  get_data: () => ['hello', 5],
  get_notifications: () => notifications.slice(),
  echo,
  slow,
  get_cancelled: () => cancelledCount,
  progress,
  fail,
};

connection.onRequest((method, params, token) => {
  const handler = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
  if (handler === undefined) {
    throw new ResponseError(ErrorCodes.MethodNotFound, `Method not found: ${method}`);
  }
  return handler(params, token);
});

connection.onNotification((method, params) => {
  notifications.push({ method, params: params === undefined ? null : params });
});

connection.onError(([error]) => log('connection error:', error && error.message));
connection.onClose(() => process.exit(0));
process.stdin.on('end', () => process.exit(0));

connection.listen();
log(`vscode-jsonrpc test server ready (pid ${process.pid})`);
