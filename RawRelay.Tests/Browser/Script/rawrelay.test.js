// Unit tests of static/rawrelay.js under Node's own runner: `node --test RawRelay.Tests/Browser/Script/`
// (RawRelay.Tests/Browser/ClientScriptNodeTests.cs runs them in make test when node is installed).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const RawRelay = require(path.join(__dirname, '..', '..', '..', 'static', 'rawrelay.js'));

const bytes = (text) => new TextEncoder().encode(text);

test('a text frame is split into its stream, position and payload, which may hold LFs or be empty', () => {
  assert.deepEqual(RawRelay.parseFrame('orders k3f9x:41\nhello\nworld'),
    { kind: 'message', stream: 'orders', epoch: 'k3f9x', offset: 41, data: 'hello\nworld' });
  assert.deepEqual(RawRelay.parseFrame('#u42 e1:1\n'), { kind: 'message', stream: '#u42', epoch: 'e1', offset: 1, data: '' });
  assert.deepEqual(RawRelay.parseFrame('* A:7\n!reset * A:1'), { kind: 'message', stream: '*', epoch: 'A', offset: 7, data: '!reset * A:1' });
});

test('a binary frame keeps its payload bytes, LFs and all, as a Uint8Array', () => {
  const payload = Uint8Array.from([0, 10, 255, 10]);
  const frame = new Uint8Array([...bytes('room-7 zz9:3\n'), ...payload]);
  const parsed = RawRelay.parseFrame(frame.buffer);
  assert.equal(parsed.kind, 'message');
  assert.equal(parsed.stream, 'room-7');
  assert.equal(parsed.offset, 3);
  assert.ok(parsed.data instanceof Uint8Array);
  assert.deepEqual(Array.from(parsed.data), [0, 10, 255, 10]);
});

test('a reset notice names the stream and its current position; other notices are passed on as such', () => {
  assert.deepEqual(RawRelay.parseFrame('!reset orders q1:0'), { kind: 'reset', stream: 'orders', epoch: 'q1', offset: 0 });
  assert.deepEqual(RawRelay.parseFrame('!reset #a!b q1:12'), { kind: 'reset', stream: '#a!b', epoch: 'q1', offset: 12 });
  assert.deepEqual(RawRelay.parseFrame('!later something'), { kind: 'notice', text: '!later something' });
  assert.equal(RawRelay.parseFrame('!reset orders'), null);
});

test('frames without a valid header line are not messages', () => {
  for (const bad of ['hello', 'orders k3:1', 'orders k3:x\nhi', 'orders :1\nhi', 'no/slash k3:1\nhi', ' k3:1\nhi',
    'orders k3:1 \nhi', 'orders ' + 'e'.repeat(33) + ':1\nhi', '# k3:1\nhi', 'orders k3:1:2\nhi']) {
    assert.equal(RawRelay.parseFrame(bad), null, JSON.stringify(bad));
  }
  assert.equal(RawRelay.parseFrame(bytes('no header at all')), null);
});

test('positions parse as epoch and offset', () => {
  assert.deepEqual(RawRelay.parsePosition('3ogysdt39:4'), { epoch: '3ogysdt39', offset: 4 });
  assert.equal(RawRelay.parsePosition('3ogysdt39'), null);
  assert.equal(RawRelay.parsePosition('a-b:1'), null);
  assert.equal(RawRelay.parsePosition('ab:-1'), null);
});

test('since names each stream and position, percent-encoded', () => {
  assert.equal(RawRelay.sinceQuery({ orders: 'e1:4', '#u 1': 'e2:0', '*': 'e3:9' }),
    'since=' + encodeURIComponent('#u 1 e2:0') + '&since=*%20e3%3A9&since=orders%20e1%3A4');
  assert.equal(RawRelay.sinceQuery({}), '');
});

test('the backoff doubles up to its cap, each wait between half and all of it', () => {
  const low = (n) => RawRelay.backoffDelay(n, 500, 10000, () => 0);
  const high = (n) => RawRelay.backoffDelay(n, 500, 10000, () => 1);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 60].map(low), [250, 500, 1000, 2000, 4000, 5000, 5000]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 60].map(high), [500, 1000, 2000, 4000, 8000, 10000, 10000]);
});

test('a stream position accepts only offsets after the last one of its epoch, and a new epoch', () => {
  const p = new RawRelay.StreamPositions(null, 'k', {});
  assert.deepEqual([1, 2, 2, 1, 3, 5, 4].map((o) => p.accept('C', 'e1', o)), [true, true, false, false, true, true, false]);
  assert.equal(p.accept('C', 'e2', 1), true, 'another life of the stream');
  assert.equal(p.accept('D', 'e1', 1), true, 'streams are counted apart');
  p.reset('C', 'e3', 10);
  assert.deepEqual([10, 11].map((o) => p.accept('C', 'e3', o)), [false, true]);
  assert.deepEqual(p.toObject(), { C: 'e3:11', D: 'e1:1' });
});

test('positions are stored under their key; a position the page passes wins over the stored one', () => {
  const storage = fakeStorage();
  const first = new RawRelay.StreamPositions(storage, 'k', {});
  first.accept('C', 'e1', 5);
  first.accept('#u', 'e2', 2);
  assert.deepEqual(new RawRelay.StreamPositions(storage, 'k', {}).toObject(), { C: 'e1:5', '#u': 'e2:2' });
  assert.deepEqual(new RawRelay.StreamPositions(storage, 'other', {}).toObject(), {});
  const page = new RawRelay.StreamPositions(storage, 'k', { C: { epoch: 'e1', offset: 9 } });
  assert.deepEqual(page.toObject(), { C: 'e1:9', '#u': 'e2:2' });
  storage.setItem('bad', '{"C":"nope","no/slash":"e:1","D":"e:1"}');
  assert.deepEqual(new RawRelay.StreamPositions(storage, 'bad', {}).toObject(), { D: 'e:1' });
});

test('the storage key depends on the endpoint, the id and the set of channels, not their order', () => {
  const key = RawRelay.storageKey;
  assert.equal(key('ws://h/websocket', 'u', ['a', 'b']), key('ws://h/websocket', 'u', ['b', 'a', 'a']));
  assert.notEqual(key('ws://h/websocket', 'u', ['a']), key('ws://h/websocket', 'u', ['a', 'b']));
  assert.notEqual(key('ws://h/websocket', 'u', []), key('ws://h/websocket', 'v', []));
  assert.notEqual(key('ws://h/websocket', 'u', []), key('ws://g/websocket', 'u', []));
});

test('connect asks for v1, resumes every stream it knows, drops duplicates and adopts a reset', async () => {
  const sockets = [];
  const got = [];
  const resets = [];
  const states = [];
  const errors = [];
  const storage = fakeStorage();
  const relay = RawRelay.connect({
    url: 'ws://relay.test/websocket', id: 'u 1'.replace(' ', '+'), channels: ['orders', 'room-7'],
    positions: { orders: 'e1:40' }, storage, WebSocket: fakeWebSocket(sockets), backoff: { minMs: 1, maxMs: 2 },
    onMessage: (m) => got.push([m.stream, m.position, m.binary ? Array.from(m.data) : m.data, m.text]),
    onReset: (stream, position) => resets.push([stream, position]),
    onStatus: (state) => states.push(state), onError: (e) => errors.push(e.message),
  });
  await until(() => sockets.length === 1);
  const first = sockets[0];
  assert.equal(first.url, 'ws://relay.test/websocket?id=u%2B1&channel=orders&channel=room-7&since=orders%20e1%3A40');
  assert.equal(first.protocols, 'rawrelay.v1');
  first.open();
  first.receive('orders e1:41\none');
  first.receive('orders e1:41\none again');
  first.receive(new Uint8Array([...bytes('#u+1 e2:1\n'), 1, 2]).buffer);
  first.receive('!reset room-7 e9:3');
  first.receive('room-7 e9:4\nafter the reset');
  first.receive('not v1');
  assert.deepEqual(got, [
    ['orders', 'e1:41', 'one', 'one'],
    ['#u+1', 'e2:1', [1, 2], null],
    ['room-7', 'e9:4', 'after the reset', 'after the reset'],
  ]);
  assert.deepEqual(resets, [['room-7', 'e9:3']]);
  assert.deepEqual(errors, ['rawrelay: a message without a valid rawrelay.v1 header line was dropped']);

  first.drop(1006);
  await until(() => sockets.length === 2);
  assert.equal(sockets[1].url, 'ws://relay.test/websocket?id=u%2B1&channel=orders&channel=room-7&' +
    'since=%23u%2B1%20e2%3A1&since=orders%20e1%3A41&since=room-7%20e9%3A4');
  relay.close();
  assert.deepEqual(states, ['connecting', 'open', 'closed', 'connecting', 'stopped']);
  assert.equal(sockets[1].closedWith, 1000);
  assert.deepEqual(relay.positions(), { orders: 'e1:41', '#u+1': 'e2:1', 'room-7': 'e9:4' });
  assert.deepEqual(JSON.parse(storage.getItem(RawRelay.storageKey('ws://relay.test/websocket', 'u+1', ['room-7', 'orders']))),
    { orders: 'e1:41', '#u+1': 'e2:1', 'room-7': 'e9:4' });
});

test('a relay without v1 still delivers its messages, with no stream or position', async () => {
  const sockets = [];
  const got = [];
  const relay = RawRelay.connect({ url: 'ws://relay.test/ws?x=1', id: 'u', storage: null, WebSocket: fakeWebSocket(sockets),
    onMessage: (m) => got.push([m.stream, m.position, m.data]), token: 'ab12', exp: 99 });
  await until(() => sockets.length === 1);
  assert.equal(sockets[0].url, 'ws://relay.test/ws?x=1&id=u&exp=99&token=ab12');
  sockets[0].open('');
  sockets[0].receive('orders e1:41\nplain');
  assert.deepEqual(got, [[null, null, 'orders e1:41\nplain']]);
  relay.close();
});

test('connect refuses ids, channels and positions the relay would refuse', () => {
  const ws = fakeWebSocket([]);
  assert.throws(() => RawRelay.connect({ url: 'ws://x/', id: 'has space', WebSocket: ws }), TypeError);
  assert.throws(() => RawRelay.connect({ url: 'ws://x/', id: 'u', channels: ['a/b'], WebSocket: ws }), TypeError);
  assert.throws(() => RawRelay.connect({ url: 'ws://x/', id: 'u', positions: { C: '12' }, WebSocket: ws }), TypeError);
  assert.throws(() => RawRelay.connect({ url: 'ws://x/', id: 'u', token: 'abc', WebSocket: ws }), TypeError);
});

test('send writes text and binary messages only on the open connection, and says whether it did', async () => {
  const sockets = [];
  const relay = RawRelay.connect({ url: 'ws://relay.test/websocket', id: 'u', storage: null, WebSocket: fakeWebSocket(sockets),
    backoff: { minMs: 1, maxMs: 2 } });
  assert.equal(relay.send('too early'), false, 'no socket yet');
  await until(() => sockets.length === 1);
  assert.equal(relay.send('still connecting'), false, 'the socket is not open yet');
  sockets[0].open();
  assert.equal(relay.send('{"room":"lobby","text":"hi"}'), true);
  assert.equal(relay.send(''), true, 'an empty text message is a message');
  assert.equal(relay.send(Uint8Array.from([0, 10, 255])), true);
  assert.equal(relay.send(new ArrayBuffer(2)), true);
  assert.deepEqual(sockets[0].sent.map((m) => (typeof m === 'string' ? m : Array.from(new Uint8Array(m.buffer || m)))),
    ['{"room":"lobby","text":"hi"}', '', [0, 10, 255], [0, 0]]);
  for (const bad of [undefined, null, 42, { text: 'hi' }, ['hi']]) {
    assert.throws(() => relay.send(bad), TypeError, JSON.stringify(bad));
  }

  sockets[0].drop(1006);
  assert.equal(relay.send('while closed'), false);
  await until(() => sockets.length === 2);
  sockets[1].open();
  assert.equal(relay.send('after the reconnect'), true);
  assert.deepEqual(sockets[1].sent, ['after the reconnect']);
  relay.close();
  assert.equal(relay.send('after close'), false);
  assert.equal(sockets[0].sent.length + sockets[1].sent.length, 5, 'nothing was queued for later');
});

// ---- fakes ----

function fakeStorage() {
  const items = new Map();
  return { getItem: (k) => (items.has(k) ? items.get(k) : null), setItem: (k, v) => items.set(k, String(v)) };
}

/**
 * A WebSocket constructor whose instances the test drives: open(), receive(data), drop(code); what the
 * client sends is in sent (send() on a socket that is not open throws, as a browser's does).
 */
function fakeWebSocket(sockets) {
  return class FakeWebSocket {
    constructor(url, protocols) {
      this.url = url;
      this.protocols = protocols;
      this.protocol = '';
      this.closedWith = null;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
    }

    open(protocol = 'rawrelay.v1') {
      this.protocol = protocol;
      this.readyState = 1;
      this.onopen({});
    }

    receive(data) { this.onmessage({ data }); }

    drop(code) {
      this.readyState = 3;
      this.onclose({ code, reason: '' });
    }

    send(data) {
      if (this.readyState !== 1) throw new Error('InvalidStateError: the socket is not open');
      this.sent.push(data);
    }

    close(code) {
      this.closedWith = code;
      this.readyState = 2;
    }
  };
}

async function until(condition) {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(condition(), 'condition still false after 1 s');
}
