#!/usr/bin/env node
// A Plugboard plugin in Node.js on vscode-jsonrpc, the JSON-RPC library of VS Code's language servers:
// Content-Length framing on stdin/stdout, the initialize/initialized/shutdown/exit lifecycle, $/ping,
// one listener, an `echo` tool and a cancellable `slow` tool. Logs go to stderr as JSON lines; stdout
// carries protocol frames only. The plugin exits when stdin ends, on `exit`, and when the runtime's
// process (PLUGBOARD_RUNTIME_PID) disappears.
//
// vscode-jsonrpc comes from this folder's node_modules when present, else from tests/interop/node
// (installed by scripts/test.sh). SAMPLE_MODE=version-mismatch makes it speak only protocol "9.9".
'use strict';

const path = require('path');

function loadJsonRpc() {
  const interop = path.join(__dirname, '..', '..', 'interop', 'node');
  return require(require.resolve('vscode-jsonrpc/node', { paths: [__dirname, interop] }));
}

const { StreamMessageReader, StreamMessageWriter, createMessageConnection, ResponseError } = loadJsonRpc();

const PLUGIN_ID = 'plugboard.samples.node';
const PROTOCOL_VERSIONS = process.env.SAMPLE_MODE === 'version-mismatch' ? ['9.9'] : ['1.0'];
const REQUEST_CANCELLED = -32800;
const PROTOCOL_VERSION_MISMATCH = 1002;
const TOOL_NOT_FOUND = 2000;
const TOOL_ARGUMENTS_INVALID = 2001;

function log(level, message) {
  process.stderr.write(JSON.stringify({
    timestamp: new Date().toISOString(), level, category: 'node-plugin', message, exception: null,
  }) + '\n');
}

// stdout is the protocol channel: keep stray console output off it.
console.log = (...args) => log('Information', args.join(' '));
console.info = console.log;

const connection = createMessageConnection(
  new StreamMessageReader(process.stdin),
  new StreamMessageWriter(process.stdout),
  { error: (m) => log('Error', m), warn: (m) => log('Warning', m), info: () => {}, log: () => {} },
);

const capabilities = {
  listeners: [{ name: 'reply', events: ['message.*'], priority: 10 }],
  tools: [
    {
      name: 'echo',
      description: 'Returns the text it is given.',
      parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
    {
      name: 'slow',
      description: 'Waits for the given time, honouring cancellation.',
      parameters: { type: 'object', properties: { milliseconds: { type: 'integer' } }, required: ['milliseconds'] },
    },
  ],
};

connection.onRequest('initialize', (params) => {
  const offered = Array.isArray(params && params.protocolVersions) ? params.protocolVersions : [];
  const chosen = PROTOCOL_VERSIONS.find((v) => offered.includes(v));
  if (chosen === undefined) {
    throw new ResponseError(
      PROTOCOL_VERSION_MISMATCH,
      `Protocol version mismatch: the runtime speaks [${offered.join(', ')}] but this plugin speaks [${PROTOCOL_VERSIONS.join(', ')}].`,
      { runtimeVersions: offered, pluginVersions: PROTOCOL_VERSIONS },
    );
  }
  log('Information', `handshake: protocol ${chosen} with ${params.runtime && params.runtime.name}`);
  return { protocolVersion: chosen, pluginId: PLUGIN_ID, plugin: { name: 'node-plugin', version: '1.0.0' }, capabilities };
});

connection.onNotification('initialized', () => {});
connection.onRequest('$/ping', () => ({}));
connection.onRequest('shutdown', () => ({}));
connection.onNotification('exit', () => process.exit(0));

connection.onRequest('event/dispatch', (params) => {
  if (params.listener !== 'reply') {
    throw new ResponseError(-32602, `no listener named '${params.listener}' (this plugin has: reply)`, { listener: params.listener });
  }
  const data = (params.event && params.event.data) || {};
  const text = typeof data.text === 'string' ? data.text : '';
  return { stopPropagation: text.toLowerCase().startsWith('stop'), result: { text } };
});

connection.onRequest('tool/invoke', (params, token) => {
  const args = params.arguments;
  switch (params.tool) {
    case 'echo':
      if (args === null || typeof args !== 'object' || typeof args.text !== 'string') {
        throw new ResponseError(TOOL_ARGUMENTS_INVALID, 'echo takes {"text": string}', { tool: 'echo' });
      }
      return { text: args.text };
    case 'slow':
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve({ milliseconds: args.milliseconds }), args.milliseconds);
        token.onCancellationRequested(() => {
          clearTimeout(timer);
          reject(new ResponseError(REQUEST_CANCELLED, 'slow was cancelled'));
        });
      });
    default:
      throw new ResponseError(TOOL_NOT_FOUND, `no tool named '${params.tool}' (this plugin has: echo, slow)`, { tool: params.tool });
  }
});

connection.onClose(() => process.exit(0));
process.stdin.on('end', () => process.exit(0));

const runtimePid = Number.parseInt(process.env.PLUGBOARD_RUNTIME_PID || '', 10);
if (Number.isInteger(runtimePid) && runtimePid > 0) {
  const watch = setInterval(() => {
    if (!isAlive(runtimePid)) {
      log('Warning', `the runtime process ${runtimePid} is gone; exiting`);
      process.exit(0);
    }
  }, 500);
  watch.unref();
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    // A zombie (exited, not yet reaped) still answers kill(0); /proc tells the difference on Linux.
    const stat = require('fs').readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return true;
  }
}

connection.listen();
