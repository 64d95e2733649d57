// WeCom's official long-connection client (@wecom/aibot-node-sdk WSClient) run against the test simulator, to show
// the simulator speaks what the official client expects. Usage: node official-client.js <wsUrl> <botId> <secret>
// Subscribes, answers the first text message with a two-frame stream, prints one JSON line per step and exits.
'use strict';
const { WSClient } = require('@wecom/aibot-node-sdk');

const [wsUrl, botId, secret] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error(...args) { process.stderr.write(args.join(' ') + '\n'); } };
const client = new WSClient({ botId, secret, wsUrl, logger: quiet, heartbeatInterval: 200, maxReconnectAttempts: 0 });
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const timer = setTimeout(() => { say({ step: 'timeout' }); process.exit(2); }, 20000);

client.on('authenticated', () => say({ step: 'authenticated' }));
client.on('error', (error) => say({ step: 'error', message: String(error && error.message) }));
client.on('message.text', async (frame) => {
  say({ step: 'message', reqId: frame.headers.req_id, content: frame.body.text.content });
  try {
    const streamId = 'stream_official_1';
    await client.replyStream(frame, streamId, 'official ', false);
    const ack = await client.replyStream(frame, streamId, 'official reply: ' + frame.body.text.content, true);
    say({ step: 'replied', errcode: ack.errcode });
  } catch (error) {
    say({ step: 'reply-failed', message: String(error && (error.message || error.errmsg)) });
  }
  clearTimeout(timer);
  client.disconnect();
  setTimeout(() => process.exit(0), 50);
});
client.connect();
