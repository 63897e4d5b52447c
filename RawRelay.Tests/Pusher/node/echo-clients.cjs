// Laravel Echo on pusher-js (node builds, from npm) against the relay, with the PHP auth endpoint, and the
// official server SDK `pusher` triggering. Prints one line per thing seen, "done" at the end.
// usage: node echo-clients.cjs <relay port> <php base url> <suffix>
const Pusher = require('pusher-js');
const path = require('path');
const { pathToFileURL } = require('url');
// laravel-echo 2 ships its CommonJS build inside a "type": "module" package, which require() cannot load:
// its ES module build is imported from the same node_modules instead.
const echoModule = import(pathToFileURL(path.join(process.env.NODE_PATH, 'laravel-echo', 'dist', 'echo.js')).href);
let Echo;
const PusherServer = require('pusher');

const [port, php, suffix] = process.argv.slice(2);
const say = (...parts) => console.log(parts.join(' '));
const fail = (why) => { console.log('FAIL ' + why); process.exit(1); };
setTimeout(() => fail('timeout'), 25000);

const server = new PusherServer({ appId: 'app1', key: 'key1', secret: 'secret1', host: '127.0.0.1', port, useTLS: false });
function echoFor(user) {
  const options = {
    broadcaster: 'pusher', key: 'key1', cluster: 'mt1', wsHost: '127.0.0.1', wsPort: Number(port), forceTLS: false,
    enabledTransports: ['ws'], disableStats: true,
    authEndpoint: `${php}/auth.php?user=${user}`,
    userAuthentication: { endpoint: `${php}/user-auth.php?user=${user}`, transport: 'ajax' },
  };
  return new Echo({ ...options, client: new Pusher(options.key, options) });
}

(async () => { Echo = (await echoModule).default; main(); })().catch(e => fail(e.stack || e));

function main() {
const news = 'news-' + suffix, orders = 'orders-' + suffix, room = 'room-' + suffix;
const ann = echoFor('ann');
const waits = [];
const when = (name) => { let done; const p = new Promise(r => (done = r)); waits[name] = done; return p; };
const ready = [when('news'), when('orders'), when('room')];

ann.channel(news).subscribed(() => { say('ann subscribed', news); waits.news(); })
  .listen('.OrderShipped', e => say('ann news OrderShipped', JSON.stringify(e)))
  .listen('.Batch', e => say('ann news Batch', JSON.stringify(e)));
ann.private(orders).subscribed(() => { say('ann subscribed private', orders); waits.orders(); })
  .listen('.OrderPaid', e => say('ann private OrderPaid', JSON.stringify(e)))
  .listenForWhisper('typing', e => say('ann whisper', JSON.stringify(e)));
ann.join(room)
  .here(users => { say('ann here', JSON.stringify(users)); waits.room(); })
  .joining(user => { say('ann joining', JSON.stringify(user)); waits.joined && waits.joined(); })
  .leaving(user => { say('ann leaving', JSON.stringify(user)); waits.left && waits.left(); });
ann.private('forbidden').error(e => say('ann forbidden error', e.status));

(async () => {
  await Promise.all(ready);
  // The relay refuses a wrong signature: pusher-js hands the subscription_error to Echo's error callback.
  const wrong = new Pusher('key1', {
    cluster: 'mt1', wsHost: '127.0.0.1', wsPort: Number(port), forceTLS: false, enabledTransports: ['ws'],
    channelAuthorization: { customHandler: (p, cb) => cb(null, { auth: 'key1:' + '0'.repeat(64) }) },
  });
  await new Promise(r => wrong.subscribe('private-' + orders).bind('pusher:subscription_error', e => { say('wrong signature error', e.status); r(); }));
  wrong.disconnect();

  say('trigger', (await server.trigger(news, 'OrderShipped', { id: 1, total: '9.50' })).status);
  say('trigger', (await server.trigger(['private-' + orders], 'OrderPaid', { id: 1 })).status);
  say('batch', (await server.triggerBatch([
    { channel: news, name: 'Batch', data: { n: 1 } },
    { channel: news, name: 'Batch', data: { n: 2 } },
  ])).status);

  const bob = echoFor('bob');
  const joined = when('joined');
  bob.join(room).here(users => say('bob here', users.length));
  await joined;
  const bobOrders = bob.private(orders);
  await new Promise(r => bobOrders.subscribed(r));
  bobOrders.whisper('typing', { who: 'bob' });

  const channels = await (await server.get({ path: '/channels', params: { filter_by_prefix: 'presence-' + room, info: 'user_count' } })).json();
  say('channels', JSON.stringify(channels));
  const users = await (await server.get({ path: `/channels/presence-${room}/users` })).json();
  say('users', JSON.stringify(users));
  const info = await (await server.get({ path: `/channels/${news}`, params: { info: 'subscription_count' } })).json();
  say('info', JSON.stringify(info));

  // pusher:signin through pusher-js's user authentication, then an event to that user.
  const user = ann.connector.pusher.user;
  ann.connector.pusher.signin();
  await user.signinDonePromise;
  while (!(user.serverToUserChannel && user.serverToUserChannel.subscribed))
    await new Promise(r => setTimeout(r, 10));
  say('ann signed in', user.user_data.id);
  const toUser = new Promise(r => user.bind('Notice', e => { say('ann user Notice', JSON.stringify(e)); r(); }));
  say('sendToUser', (await server.sendToUser('ann', 'Notice', { hi: 1 })).status);
  await toUser;

  const left = when('left');
  bob.leave(room);
  await left;
  setTimeout(() => { say('done'); bob.disconnect(); ann.disconnect(); process.exit(0); }, 300);
})().catch(e => fail(e.stack || e));
}
