/*
 * What the demo pages (index.html, the board; feed.html, a topic's live feed; chat.html, a chat room)
 * share: random ids, tokens from token.php, the connection through rawrelay.js (window.RawRelay:
 * reconnects, resumes, drops duplicates) and its state, stored messages then live ones, each once,
 * and messages shown as text, never as HTML. window.RawRelayDemo.
 */
(function () {
  'use strict';

  var ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
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

  // An id for this tab, kept in sessionStorage under key (so a reload or another page of the site in
  // the same tab has it again; a new tab gets a new one): `wanted` when given, else the stored one,
  // else prefix + 10 random characters.
  function tabId(key, prefix, wanted) {
    var id = wanted || null;
    if (id === null) {
      try { id = sessionStorage.getItem(key); } catch (e) { /* storage disabled */ }
    }
    if (id === null || !ID_PATTERN.test(id)) id = prefix + randomId(10);
    try { sessionStorage.setItem(key, id); } catch (e) { /* storage disabled: the id lasts for this page only */ }
    return id;
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
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return '[binary ' + data.byteLength + ' bytes]';
    if (typeof Blob !== 'undefined' && data instanceof Blob) return '[binary ' + data.size + ' bytes]';
    return String(data);
  }

  // The list element as a list of messages: add(text, date, who) appends one with its time (now when
  // no date is given) and, when given, who wrote it (a name before the text); clear() empties it.
  // Text goes in as text, never as HTML.
  function messageList(listEl) {
    return {
      add: function (text, date, who) {
        var atBottom = listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 40;
        var when = date || new Date();
        var li = document.createElement('li');
        if (who === undefined || who === null) {
          li.textContent = text;
        } else {
          var name = document.createElement('span');
          name.className = 'who';
          name.textContent = who;
          var said = document.createElement('span');
          said.className = 'text';
          said.textContent = text;
          li.append(name, said);
        }
        li.setAttribute('data-time', two(when.getHours()) + ':' + two(when.getMinutes()) + ':' + two(when.getSeconds()));
        listEl.appendChild(li);
        while (listEl.children.length > MAX_SHOWN) listEl.removeChild(listEl.firstChild);
        if (atBottom) listEl.scrollTop = listEl.scrollHeight;
      },
      clear: function () {
        listEl.textContent = '';
      }
    };
  }

  // A page that shows what PHP stored and then the live messages (feed.html, chat.html) shows each
  // stored message once, by the id PHP gave it: one published while PHP read the state comes both in
  // the state and live. Live messages that come while the state is (re)loading wait for it.
  //   var view = storedAndLive(show, clear);   show(item) appends an item, clear() empties the list
  //   view.live(item)      a live item: { id: <PHP's id, or null when it has none>, ... }
  //   view.reload()        holds live items from now until the next state(); false when already holding
  //   view.state(items)    shows the stored items (the list rebuilt; null: keep it), then the held ones
  function storedAndLive(show, clear) {
    var shownIds = new Set();
    var waiting = [];            // live items held back while the state loads; null once it has

    function add(item) {
      if (item.id !== null && item.id !== undefined) {
        if (shownIds.has(item.id)) return;
        shownIds.add(item.id);
      }
      show(item);
    }

    return {
      live: function (item) {
        if (waiting !== null) waiting.push(item);
        else add(item);
      },
      reload: function () {
        if (waiting !== null) return false;
        waiting = [];
        return true;
      },
      state: function (items) {
        if (Array.isArray(items)) {
          clear();
          shownIds.clear();
          items.forEach(add);
        }
        var held = waiting || [];
        waiting = null;
        held.forEach(add);
      }
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

  // ---- the connection, through rawrelay.js ----

  // Opens the page's connection with RawRelay.connect (rawrelay.js, loaded before this file) and
  // shows its state. options: id, channels, positions, url, onMessage(msg), onReset(stream, position),
  // and token: a function returning a token the page already has ({exp, token}) or null; without
  // one, each connect asks token.php for a token covering the id and channels.
  function connect(options) {
    var channels = options.channels || [];
    var query = 'id=' + encodeURIComponent(options.id) +
      channels.map(function (c) { return '&channel=' + encodeURIComponent(c); }).join('');
    return window.RawRelay.connect({
      id: options.id,
      channels: channels,
      url: options.url || undefined,
      positions: options.positions,
      token: function () {
        var preset = options.token ? options.token() : null;
        return preset || fetchToken(query);
      },
      onMessage: options.onMessage,
      onReset: options.onReset,
      onStatus: function (state, detail) {
        if (state === 'open') {
          setState('connected');
        } else if (state === 'closed') {
          var why = detail.code && detail.code !== 1006 ? 'closed ' + detail.code + ', ' : '';
          setState('disconnected', why + 'retrying in ' + (detail.retryInMs / 1000).toFixed(1) + ' s');
        } else {
          setState(state === 'stopped' ? 'disconnected' : 'connecting');
        }
      }
    });
  }

  // A JSON document from a PHP page of this site (e.g. feed-state.php), or null when there is none
  // (404, no PHP, a network error, not JSON).
  function fetchJson(page) {
    if (typeof fetch !== 'function' || !servedOverHttp) return Promise.resolve(null);
    return fetch(page, { cache: 'no-store', credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (response) { return response.status === 200 ? response.json() : null; })
      .catch(function () { return null; });
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
    tabId: tabId,
    messageText: messageText,
    messageList: messageList,
    storedAndLive: storedAndLive,
    setState: setState,
    connect: connect,
    fetchJson: fetchJson,
    showIfPhpPage: showIfPhpPage
  };
})();
