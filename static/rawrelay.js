/*
 * rawrelay.js: the browser client of RawRelay. No dependencies, no build step, plain ES2020.
 *
 *   <script src="/rawrelay.js"></script>                 window.RawRelay
 *   import RawRelay from '/rawrelay.esm.js';              the same, as an ES module
 *   const RawRelay = require('./rawrelay.js');            the same, in Node (for tests)
 *
 *   const relay = RawRelay.connect({
 *     id: 'u42',                      // required: the connection's id (1-128 printable ASCII, no spaces)
 *     channels: ['orders'],           // channels asked for when connecting (?channel=...), in this order
 *     url: '/websocket',              // the endpoint; default ws(s)://<this page's host>/websocket
 *     positions: { orders: 'k3f9x:41' }, // where the page's state stands, per stream (see below)
 *     token: '…', exp: 1767225600,    // for a relay with --secret; or token: () => ({ exp, token })
 *                                     // (or a Promise of it, or null), asked again before every connect
 *     onMessage(msg) {},              // msg = { stream, epoch, offset, position, data, text, binary }
 *     onReset(stream, position) {},   // the relay could not fill a gap: reload that stream's state
 *     onStatus(state, detail) {},     // 'connecting' | 'open' | 'closed' | 'stopped'
 *     onError(error) {},              // a frame without a valid header (dropped), a failed token
 *                                     // function, a URL the browser refused; default console.warn
 *   });
 *   relay.send('text');               // a message to the relay (text, or an ArrayBuffer / typed array for
 *                                     // binary): true when it went out on the open connection, false when
 *                                     // there is none (connecting, closed, stopped); nothing is queued
 *   relay.positions();                // { stream: 'epoch:offset', ... } as the client has them now
 *   relay.state;                      // the last state onStatus was given
 *   relay.close();                    // closes the socket (1000) and stops reconnecting
 *
 * It speaks the relay's rawrelay.v1 subprotocol: every message starts with a header line
 * "<stream> <epoch>:<offset>" (stream: a channel name, "#<id>" for SEND to the id, "*" for
 * BROADCAST). The client strips it and hands the page
 *   msg.stream    the stream, e.g. 'orders', '#u42', '*'
 *   msg.epoch     the stream's epoch (a string), msg.offset its offset (a number, counted from 1)
 *   msg.position  'epoch:offset'
 *   msg.data      a string for a text message, a Uint8Array for a binary one
 *   msg.text      the string for a text message, null for a binary one; msg.binary true/false
 *
 * Nothing lost between pages: the client keeps each stream's last position in sessionStorage, keyed
 * by the endpoint, the id and the set of channels, so it survives a reload or a navigation to another
 * page of the site within the tab (a new tab starts fresh). On every connect, the first one of a new
 * page too, it asks the relay to resume: ?since=<stream>%20<position> for each stream it knows. The
 * relay then sends every message after that position first, then the live ones.
 *
 * `positions` is where the page's own state stands: a page PHP rendered from its database passes
 * the position PHP read with POSITION <stream> before it read the database, so the relay sends what
 * was published while the page was being rendered. A position the page passes wins over the stored
 * one for its stream (the page shows what PHP rendered, not what an earlier page showed).
 *
 * A message whose offset is not above the last one seen on its stream (same epoch) is dropped, so a
 * page never sees one twice. When the relay cannot fill a gap (it restarted, the stream's epoch
 * changed, the messages are no longer kept, history is off), it says "!reset <stream> <position>":
 * the client adopts that position and calls onReset(stream, position); the page should then reload
 * that stream's state from PHP. Messages after the reset follow as usual.
 *
 * Reconnecting: after a close the client waits and connects again, with exponential backoff
 * (options.backoff = { minMs: 500, maxMs: 10000 }; each wait is drawn between half and all of
 * min(maxMs, minMs * 2^attempt)), starting again at minMs once a connection has stayed open for
 * 5 seconds. Coming back online retries at once. onStatus(state, detail) says what it is doing:
 *   'connecting' { attempt }                  opening a WebSocket (attempt 1 is the first)
 *   'open'       { protocol }                 connected; protocol is 'rawrelay.v1'
 *   'closed'     { code, reason, retryInMs }  the socket closed; the next attempt is in retryInMs
 *   'stopped'    {}                           relay.close() was called
 * A relay that does not select rawrelay.v1 (an older one) still works: messages then come with
 * stream, epoch, offset and position null, and nothing is resumed.
 *
 * Sending: relay.send(data) writes one message on the open connection, a text message for a string,
 * a binary one for an ArrayBuffer or typed array. The relay does not pass it to other browsers: it
 * becomes a message event for PHP (the relay's WATCH and --webhook), which decides what to do with it,
 * e.g. check it, store it and publish it to a channel. While there is no open connection send()
 * returns false and sends nothing; the page says so, or tries again once onStatus says 'open'.
 *
 * Bad options (an id or channel the relay would refuse, a malformed position) throw a TypeError
 * from connect(). An exception thrown by a callback is reported (reportError) and does not stop
 * the client; what goes wrong on the way (see onError) does not stop it either. Testing hooks: options.WebSocket (the constructor), options.storage (a Storage, or
 * null for none), options.random (a function like Math.random).
 */
(function (root, factory) {
  'use strict';
  const api = factory(root);
  if (typeof module === 'object' && module && module.exports) module.exports = api;
  else root.RawRelay = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function (root) {
  'use strict';

  const PROTOCOL = 'rawrelay.v1';
  const STORAGE_PREFIX = 'rawrelay.positions ';
  const STABLE_MS = 5000;                 // open this long: the backoff starts again from its minimum
  const MAX_HEADER = 400;                 // "#" + a 128-character id or a 200-character channel, epoch, offset
  const OPEN = 1;                         // WebSocket.OPEN

  const ID = /^[\x21-\x7E]{1,128}$/;
  const CHANNEL = /^[A-Za-z0-9_\-=@,.;]{1,200}$/;
  const POSITION = /^([A-Za-z0-9]{1,32}):(\d{1,15})$/;

  // ---- the wire: positions, header lines and notices ----

  function isStream(stream) {
    return typeof stream === 'string' &&
      (stream === '*' || (stream[0] === '#' && ID.test(stream.slice(1))) || CHANNEL.test(stream));
  }

  /** 'epoch:offset' as { epoch, offset }, or null when it is not a position. */
  function parsePosition(text) {
    const m = typeof text === 'string' ? POSITION.exec(text) : null;
    return m ? { epoch: m[1], offset: Number(m[2]) } : null;
  }

  /** '<stream> <epoch>:<offset>' as { stream, epoch, offset }, or null. */
  function parseHeader(line) {
    const space = line.indexOf(' ');
    if (space <= 0) return null;
    const stream = line.slice(0, space);
    const position = parsePosition(line.slice(space + 1));
    return position && isStream(stream) ? { stream, epoch: position.epoch, offset: position.offset } : null;
  }

  /**
   * One v1 frame's data (a string for a text frame, an ArrayBuffer or Uint8Array for a binary one) as
   *   { kind: 'message', stream, epoch, offset, data }  data without the header line
   *   { kind: 'reset', stream, epoch, offset }          the notice "!reset <stream> <position>"
   *   { kind: 'notice', text }                          another notice (a text frame starting with "!")
   *   null                                              not a v1 frame
   */
  function parseFrame(data) {
    if (typeof data === 'string') {
      if (data[0] === '!') {
        if (data.startsWith('!reset ')) {
          const reset = parseHeader(data.slice(7));
          return reset ? { kind: 'reset', ...reset } : null;
        }
        return { kind: 'notice', text: data };
      }
      const lf = data.indexOf('\n');
      const header = lf > 0 && lf <= MAX_HEADER ? parseHeader(data.slice(0, lf)) : null;
      return header ? { kind: 'message', ...header, data: data.slice(lf + 1) } : null;
    }
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const lf = bytes.subarray(0, MAX_HEADER + 1).indexOf(10);
    const header = lf > 0 ? parseHeader(String.fromCharCode.apply(null, bytes.subarray(0, lf))) : null;
    return header ? { kind: 'message', ...header, data: bytes.subarray(lf + 1) } : null;
  }

  /** True for what WebSocket.send() sends as a binary message: an ArrayBuffer or a view of one. */
  function isBytes(data) {
    return data instanceof ArrayBuffer || ArrayBuffer.isView(data);
  }

  /** The query parameters that resume each stream: 'since=orders%20k3f9x%3A41&since=...' ('' for none). */
  function sinceQuery(positions) {
    return Object.keys(positions).sort()
      .map((stream) => 'since=' + encodeURIComponent(stream + ' ' + positions[stream]))
      .join('&');
  }

  /** The wait before reconnect attempt n (0: the first after a close), in ms: between half and all of the cap. */
  function backoffDelay(attempt, minMs, maxMs, random) {
    const cap = Math.min(maxMs, minMs * Math.pow(2, Math.min(attempt, 30)));
    return Math.round(cap / 2 + (random() * cap) / 2);
  }

  // ---- the positions a page has seen ----

  /**
   * Each stream's last position, kept in `storage` under `key` (both optional). accept() says
   * whether a message is new, and records it; reset() adopts a position the relay gave.
   */
  class StreamPositions {
    constructor(storage, key, initial) {
      this.storage = storage;
      this.key = key;
      this.byStream = new Map();
      for (const [stream, position] of Object.entries(load(storage, key))) this.byStream.set(stream, position);
      for (const [stream, position] of Object.entries(initial || {})) this.byStream.set(stream, position);
      if (initial && Object.keys(initial).length > 0) this.save();
    }

    /** True (and recorded) when the message is after the last one seen on its stream. */
    accept(stream, epoch, offset) {
      const last = this.byStream.get(stream);
      if (last && last.epoch === epoch && offset <= last.offset) return false;
      this.byStream.set(stream, { epoch, offset });
      this.save();
      return true;
    }

    reset(stream, epoch, offset) {
      this.byStream.set(stream, { epoch, offset });
      this.save();
    }

    /** { stream: 'epoch:offset' } */
    toObject() {
      const out = {};
      for (const [stream, p] of this.byStream) out[stream] = p.epoch + ':' + p.offset;
      return out;
    }

    save() {
      if (!this.storage) return;
      try {
        this.storage.setItem(this.key, JSON.stringify(this.toObject()));
      } catch (e) { /* storage full or disabled: positions last as long as the page */ }
    }
  }

  /** The positions stored under key, those that are valid. */
  function load(storage, key) {
    const out = {};
    if (!storage) return out;
    let stored = null;
    try {
      stored = JSON.parse(storage.getItem(key) || 'null');
    } catch (e) { /* unreadable: start fresh */ }
    if (stored && typeof stored === 'object') {
      for (const [stream, text] of Object.entries(stored)) {
        const position = parsePosition(text);
        if (position && isStream(stream)) out[stream] = position;
      }
    }
    return out;
  }

  /** Where a client's positions are kept: one entry per endpoint, id and set of channels. */
  function storageKey(url, id, channels) {
    return STORAGE_PREFIX + JSON.stringify([url, id, [...new Set(channels)].sort()]);
  }

  // ---- options ----

  function defaultUrl() {
    const loc = root.location;
    if (!loc || !/^https?:$/.test(loc.protocol)) throw new TypeError('RawRelay.connect: options.url is required outside a web page');
    return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/websocket';
  }

  /** A ws:// or wss:// URL; a relative or http(s) one is taken relative to the page. */
  function endpointUrl(url) {
    if (url === undefined || url === null) return defaultUrl();
    if (/^wss?:\/\//i.test(url)) return url;
    const base = root.location ? root.location.href : undefined;
    const resolved = new URL(url, base);
    resolved.protocol = resolved.protocol === 'https:' ? 'wss:' : 'ws:';
    return resolved.href;
  }

  function checkedPositions(positions) {
    const out = {};
    for (const [stream, text] of Object.entries(positions || {})) {
      if (text === null || text === undefined || text === '') continue; // "no position known": skip
      const position = parsePosition(String(text));
      if (!isStream(stream) || !position) {
        throw new TypeError('RawRelay.connect: positions[' + JSON.stringify(stream) + '] = ' + JSON.stringify(text) +
          ' is not <stream>: <epoch>:<offset>');
      }
      out[stream] = position;
    }
    return out;
  }

  function defaultStorage() {
    try {
      return root.sessionStorage || null;
    } catch (e) {
      return null; // storage disabled for this page
    }
  }

  /** The token source: a function, or the static token and exp. */
  function tokenSource(options) {
    if (typeof options.token === 'function') return options.token;
    if (options.token === undefined || options.token === null) return () => null;
    if (options.exp === undefined) throw new TypeError('RawRelay.connect: a token needs its exp');
    const fixed = { exp: options.exp, token: options.token };
    return () => fixed;
  }

  function report(error) {
    if (typeof root.reportError === 'function') root.reportError(error);
    else setTimeout(() => { throw error; }, 0);
  }

  // ---- the connection ----

  function connect(options) {
    options = options || {};
    const id = options.id;
    if (typeof id !== 'string' || !ID.test(id)) throw new TypeError('RawRelay.connect: id must be 1 to 128 printable ASCII characters without spaces');
    const channels = Array.from(options.channels || []);
    for (const channel of channels) {
      if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
        throw new TypeError('RawRelay.connect: channel ' + JSON.stringify(channel) + ' is not 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ;');
      }
    }
    const url = endpointUrl(options.url);
    const WebSocketImpl = options.WebSocket || root.WebSocket;
    const storage = options.storage === undefined ? defaultStorage() : options.storage;
    const random = options.random || Math.random;
    const minMs = (options.backoff && options.backoff.minMs) || 500;
    const maxMs = (options.backoff && options.backoff.maxMs) || 10000;
    const getToken = tokenSource(options);
    const positions = new StreamPositions(storage, storageKey(url, id, channels), checkedPositions(options.positions));

    let socket = null;        // the current WebSocket
    let generation = 0;       // bumped on every connect, so callbacks of older sockets are ignored
    let attempt = 0;          // reconnects since the last stable connection
    let retryTimer = null;
    let stopped = false;

    const client = {
      state: 'connecting',
      positions: () => positions.toObject(),
      send(data) {
        if (typeof data !== 'string' && !isBytes(data)) {
          throw new TypeError('RawRelay send: a message is a string (text) or an ArrayBuffer or typed array (binary)');
        }
        const ws = socket;
        if (stopped || !ws || ws.readyState !== OPEN) return false;
        ws.send(data);
        return true;
      },
      close() {
        if (stopped) return;
        stopped = true;
        clearRetry();
        if (typeof root.removeEventListener === 'function') root.removeEventListener('online', retryNow);
        const ws = socket;
        socket = null;
        generation++;
        if (ws) {
          try { ws.close(1000); } catch (e) { /* already closing */ }
        }
        status('stopped', {});
      },
    };

    function call(name, ...args) {
      const callback = options[name];
      if (typeof callback !== 'function') return;
      try {
        callback.apply(client, args);
      } catch (e) {
        report(e);
      }
    }

    /** What went wrong without stopping the client: to onError, else to the console. */
    function warn(error) {
      if (typeof options.onError === 'function') call('onError', error);
      else if (root.console) root.console.warn(error);
    }

    function status(state, detail) {
      client.state = state;
      call('onStatus', state, detail);
    }

    function query(token) {
      const parts = ['id=' + encodeURIComponent(id)];
      for (const channel of channels) parts.push('channel=' + encodeURIComponent(channel));
      const since = sinceQuery(positions.toObject());
      if (since) parts.push(since);
      if (token) parts.push('exp=' + encodeURIComponent(String(token.exp)), 'token=' + encodeURIComponent(String(token.token)));
      return (url.includes('?') ? '&' : '?') + parts.join('&');
    }

    function open() {
      clearRetry();
      if (stopped) return;
      const mine = ++generation;
      status('connecting', { attempt: attempt + 1 });
      Promise.resolve().then(getToken).catch((e) => { warn(e); return null; }).then((token) => {
        if (mine !== generation || stopped) return;
        let ws;
        try {
          ws = new WebSocketImpl(url + query(token), PROTOCOL);
        } catch (e) {               // e.g. a malformed URL: try again later, as for a refused connection
          warn(e);
          closed(mine, 0, String(e && e.message), 0);
          return;
        }
        socket = ws;
        let openedAt = 0;
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => {
          if (mine !== generation) return;
          openedAt = Date.now();
          status('open', { protocol: ws.protocol });
        };
        ws.onmessage = (event) => {
          if (mine === generation) receive(event.data, ws.protocol === PROTOCOL);
        };
        ws.onclose = (event) => closed(mine, event.code, event.reason, openedAt);
        ws.onerror = () => { /* a close event follows, which reconnects */ };
      });
    }

    function closed(mine, code, reason, openedAt) {
      if (mine !== generation || stopped) return;
      socket = null;
      if (openedAt && Date.now() - openedAt >= STABLE_MS) attempt = 0;
      const retryInMs = backoffDelay(attempt, minMs, maxMs, random);
      attempt++;
      retryTimer = setTimeout(open, retryInMs);
      status('closed', { code, reason: reason || '', retryInMs });
    }

    function receive(data, v1) {
      if (!v1) {
        deliver(null, null, null, typeof data === 'string' ? data : new Uint8Array(data));
        return;
      }
      const frame = parseFrame(data);
      if (frame === null) {
        warn(new Error('rawrelay: a message without a valid rawrelay.v1 header line was dropped'));
      } else if (frame.kind === 'reset') {
        positions.reset(frame.stream, frame.epoch, frame.offset);
        call('onReset', frame.stream, frame.epoch + ':' + frame.offset);
      } else if (frame.kind === 'message' && positions.accept(frame.stream, frame.epoch, frame.offset)) {
        deliver(frame.stream, frame.epoch, frame.offset, frame.data);
      }
    }

    function deliver(stream, epoch, offset, data) {
      const text = typeof data === 'string' ? data : null;
      call('onMessage', {
        stream, epoch, offset,
        position: stream === null ? null : epoch + ':' + offset,
        data, text, binary: text === null,
      });
    }

    function clearRetry() {
      if (retryTimer !== null) {
        clearTimeout(retryTimer);
        retryTimer = null;
      }
    }

    function retryNow() {
      if (retryTimer !== null) {
        attempt = 0;
        open();
      }
    }

    if (typeof root.addEventListener === 'function') root.addEventListener('online', retryNow);
    open();
    return client;
  }

  return {
    PROTOCOL,
    connect,
    // The parts, for tests and for pages that speak to the relay themselves.
    parseFrame, parseHeader, parsePosition, sinceQuery, backoffDelay, storageKey, StreamPositions,
  };
});
