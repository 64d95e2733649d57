// Reference crypto for the WeComBot tests, from WeCom's own npm packages:
//   @wecom/crypto          getSignature / encrypt / decrypt (WXBizMsgCrypt for JSON callbacks)
//   @wecom/aibot-node-sdk  decryptFile (media, per-item aeskey) and pkcs7Pad (32-byte blocks)
// Reads a JSON array of operations on stdin and writes a JSON array of results (one per operation) on stdout.
'use strict';
const nodeCrypto = require('crypto');
const wecomCrypto = require('@wecom/crypto');
const sdk = require('@wecom/aibot-node-sdk');

function run(op) {
  switch (op.op) {
    case 'signature':
      return { signature: wecomCrypto.getSignature(op.token, op.timestamp, op.nonce, op.encrypt) };
    case 'encrypt':
      return { encrypt: wecomCrypto.encrypt(op.key, op.message, op.id, op.random ? Buffer.from(op.random, 'base64') : undefined) };
    case 'decrypt': {
      const { message, id } = wecomCrypto.decrypt(op.key, op.encrypt);
      return { message, id };
    }
    case 'decryptFile':
      return { data: sdk.decryptFile(Buffer.from(op.data, 'base64'), op.aeskey).toString('base64') };
    case 'encryptFile': {
      // What WeCom's media server does: AES-256-CBC, IV = key[0..16], PKCS#7 to 32-byte blocks, no auto padding.
      const key = Buffer.from(op.aeskey, 'base64');
      const cipher = nodeCrypto.createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
      cipher.setAutoPadding(false);
      const padded = sdk.pkcs7Pad(Buffer.from(op.data, 'base64'), 32);
      return { data: Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64') };
    }
    default:
      throw new Error('unknown op ' + op.op);
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const results = JSON.parse(input).map((op) => {
    try {
      return run(op);
    } catch (error) {
      return { error: String(error && error.message ? error.message : error) };
    }
  });
  process.stdout.write(JSON.stringify(results));
});
