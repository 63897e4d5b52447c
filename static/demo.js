/*
 * What the demo pages (index.html, the board; feed.html, a topic's live feed) share: random ids,
 * tokens from token.php, one WebSocket to the relay kept open with backoff, the connection state,
 * and messages shown as text, never as HTML. No dependencies; window.RawRelayDemo.
 */
(function () {
  'use strict';

  var ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var TOKEN_FETCH_TIMEOUT_MS = 5000;
  var MAX_SHOWN = 500; // older messages are dropped from the page

  // An id as the relay accepts it: 1 to 128 printable ASCII characters, no spaces.
  var ID_PATTERN = /^[\x21-\x7E]{1,128}$/;
  // A channel: 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ;
  var CHANNEL_PATTERN = /^[A-Za-z0-9_\-=@,.;]{1,200}$/;

  var servedOverHttp = /^https?:$/.test(location.protocol);

  function randomId(length) {
    var out = '';
    var bytes = new Uint8Array(16);
    while (out.length < length) {
      crypto.getRandomValues(bytes);
      for (var i = 0; i < bytes.length && out.length < length; i++) {
        if (bytes[i] < 252) out += ID_ALPHABET[bytes[i] % 36]; // 252 = 7 * 36: no modulo bias
      }
    }
    return out;
  }

  // ---- showing messages: always as text, never as HTML ----

  function two(n) { return (n < 10 ? '0' : '') + n; }

  // A JSON object with a "message" field shows that field; anything else shows as it came.
  function messageText(data) {
    if (typeof data === 'string') {
      try {
        var value = JSON.parse(data);
        if (value !== null && typeof value === 'object' && !Array.isArray(value) &&
            Object.prototype.hasOwnProperty.call(value, 'message')) {
          return typeof value.message === 'string' ? value.message : JSON.stringify(value.message);
        }
      } catch (e) { /* not JSON: shown as it came */ }
      return data;
    }
    if (data instanceof ArrayBuffer) return '[binary ' + data.byteLength + ' bytes]';
    if (typeof Blob !== 'undefined' && data instanceof Blob) return '[binary ' + data.size + ' bytes]';
    return String(data);
  }

  // A function that appends each message it is given to the list element, with the time.
  function messageList(listEl) {
    return function (data) {
      var atBottom = listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 40;
      var now = new Date();
      var li = document.createElement('li');
      li.textContent = messageText(data);
      li.setAttribute('data-time', two(now.getHours()) + ':' + two(now.getMinutes()) + ':' + two(now.getSeconds()));
      listEl.appendChild(li);
      while (listEl.children.length > MAX_SHOWN) listEl.removeChild(listEl.firstChild);
      if (atBottom) listEl.scrollTop = listEl.scrollHeight;
    };
  }

  // The state badge (#state), the retry note (#retry) and body[data-state] for the page's styles.
  function setState(state, note) {
    document.getElementById('state').textContent = state;
    document.body.setAttribute('data-state', state);
    document.getElementById('retry').textContent = note || '';
  }

  // ---- tokens ----

  // A token from token.php for the WebSocket query (id and channels), when a PHP server serves the
  // page and the site has a secret; null when there is none (404, no PHP, network error): then the
  // page connects without one, as a relay without --secret expects.
  function fetchToken(query) {
    if (typeof fetch !== 'function' || !servedOverHttp) return Promise.resolve(null);
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TOKEN_FETCH_TIMEOUT_MS) : null;
    return fetch('token.php?' + query, {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json' },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (response.status !== 200) return null;
      return response.json().then(function (t) {
        if (t && /^\d+$/.test(String(t.exp)) && typeof t.token === 'string' && /^[0-9a-fA-F]+$/.test(t.token)) {
          return { exp: String(t.exp), token: t.token };
        }
        return null;
      });
    }).catch(function () {
      return null;
    }).then(function (result) {
      if (timer) clearTimeout(timer);
      return result;
    });
  }

  // ---- the connection ----

  // Keeps one WebSocket to the relay open at `path` ('/websocket?id=...[&channel=...]'): a token for
  // the same query first (options.token(), when the page has one, else token.php), then the socket;
  // reconnects with backoff. options.onMessage gets each message's data.
  function connect(path, options) {
    var query = path.slice(path.indexOf('?') + 1);
    var socket = null;      // the current WebSocket, if any
    var attempt = 0;        // bumped on every connect, so late callbacks of older ones are ignored
    var backoffMs = BACKOFF_MIN_MS;
    var retryTimer = null;

    function open() {
      if (retryTimer !== null) { clearTimeout(retryTimer); retryTimer = null; }
      var mine = ++attempt;
      setState('connecting');
      var preset = options.token ? options.token() : null;
      (preset ? Promise.resolve(preset) : fetchToken(query)).then(function (token) {
        if (mine !== attempt) return;
        var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
        if (token) url += '&exp=' + encodeURIComponent(token.exp) + '&token=' + encodeURIComponent(token.token);
        var ws;
        try {
          ws = new WebSocket(url);
        } catch (e) { // e.g. a page opened from file://, with no host to connect to
          scheduleReconnect('');
          return;
        }
        ws.binaryType = 'arraybuffer';
        socket = ws;
        ws.onopen = function () {
          if (socket !== ws) return;
          backoffMs = BACKOFF_MIN_MS;
          setState('connected');
        };
        ws.onmessage = function (event) {
          if (socket === ws) options.onMessage(event.data);
        };
        ws.onclose = function (event) {
          if (socket !== ws) return;
          socket = null;
          scheduleReconnect(event.code && event.code !== 1006 ? 'closed ' + event.code : '');
        };
        // An error is always followed by close, which reconnects.
        ws.onerror = function () {};
      });
    }

    function scheduleReconnect(why) {
      var jitter = 0.8 + Math.random() * 0.4;
      var waitMs = Math.min(BACKOFF_MAX_MS, Math.round(backoffMs * jitter));
      backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
      setState('disconnected', (why ? why + ', ' : '') + 'retrying in ' + (waitMs / 1000).toFixed(1) + ' s');
      retryTimer = setTimeout(open, waitMs);
    }

    // Back on the network: try now instead of waiting out the backoff.
    window.addEventListener('online', function () {
      if (retryTimer !== null) { backoffMs = BACKOFF_MIN_MS; open(); }
    });

    open();
  }

  // Shows the element when the PHP page exists, i.e. when PHP serves this folder.
  function showIfPhpPage(page, element) {
    if (typeof fetch !== 'function' || !servedOverHttp) return;
    fetch(page, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin' }).then(function (r) {
      if (r.ok) element.hidden = false;
    }).catch(function () { /* no PHP here */ });
  }

  window.RawRelayDemo = {
    ID_PATTERN: ID_PATTERN,
    CHANNEL_PATTERN: CHANNEL_PATTERN,
    randomId: randomId,
    messageList: messageList,
    setState: setState,
    connect: connect,
    showIfPhpPage: showIfPhpPage
  };
})();
