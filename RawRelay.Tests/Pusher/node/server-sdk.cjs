// The official Node server SDK `pusher` (its own signer) against the relay's HTTP API, and requests it
// would never send: a wrong secret, an old timestamp, a body that is not the one body_md5 names.
// usage: node server-sdk.cjs <relay port> <channel a> <channel b>
const PusherServer = require('pusher');
const { createSignedQueryString } = require('pusher/lib/requests');
const [port, a, b] = process.argv.slice(2);
const say = (...parts) => console.log(parts.join(' '));
const config = { appId: 'app1', key: 'key1', secret: 'secret1', host: '127.0.0.1', port, useTLS: false };
const pusher = new PusherServer(config);
const status = (p) => p.then(r => r.status, e => e.status || ('error ' + e.message));

(async () => {
  say('trigger', await status(pusher.trigger(a, 'one', { n: 1 })));
  say('trigger-many', await status(pusher.trigger([a, b], 'two', 'plain text')));
  say('batch', await status(pusher.triggerBatch([{ channel: b, name: 'three', data: { n: 3 } }, { channel: a, name: 'four', data: '4' }])));
  say('channels', JSON.stringify(await (await pusher.get({ path: '/channels' })).json()));
  say('channel', JSON.stringify(await (await pusher.get({ path: '/channels/' + a, params: { info: 'subscription_count' } })).json()));

  say('wrong-secret', await status(new PusherServer({ ...config, secret: 'not-the-secret' }).trigger(a, 'refused', {})));
  const realNow = Date.now;
  Date.now = () => realNow() - 700 * 1000;
  say('old-timestamp', await status(pusher.trigger(a, 'refused', {})));
  Date.now = realNow;
  const signedBody = JSON.stringify({ name: 'refused', channels: [a], data: 'x' });
  const query = createSignedQueryString(pusher.config.token, { method: 'POST', path: '/apps/app1/events', body: signedBody });
  const other = JSON.stringify({ name: 'refused', channels: [a], data: 'y' });
  const res = await fetch(`http://127.0.0.1:${port}/apps/app1/events?${query}`, { method: 'POST', body: other, headers: { 'content-type': 'application/json' } });
  say('wrong-body-md5', res.status);
  say('last', await status(pusher.trigger(a, 'last', {})));
  say('done');
})().catch(e => { say('FAIL', e.stack || e); process.exit(1); });
