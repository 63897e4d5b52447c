/*
 * The demo chat room, chat.html?room=lobby (window.RawRelayDemo from demo.js, rawrelay.js under it).
 *
 * The page is on the room's channel, chat.<room>, with an id of its own for the tab ("chat-...").
 * It asks chat-state.php for the room's recent lines and the position they go up to, shows them,
 * and connects from that position, so the relay sends it every line posted after it; each line
 * shows once, by the id PHP gave it. To say something it sends, over its WebSocket (relay.send),
 *
 *   {"room": "lobby", "name": "Ada", "text": "...", "ref": "<random>"}
 *
 * which the relay POSTs to chat-hook.php with its webhook. PHP checks it, stores it and publishes it
 * to the channel (then it shows here like everyone else's, and the notice that it was sending goes),
 * or refuses it and tells this page's id why ({"type":"refused","ref":...,"reason":...}): the notice
 * then says so, and the text comes back into the box. The page checks the length itself before it
 * sends, and PHP checks again, since a page can be changed by whoever runs it. Every name and text is
 * shown as text, never as HTML.
 */
(function () {
  'use strict';

  var Demo = window.RawRelayDemo;
  var ROOM_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;   // chat-line.php's ChatRooms
  var NAME_KEY = 'rawrelay.chatName';
  var ANSWER_TIMEOUT_MS = 10000;

  var el = function (id) { return document.getElementById(id); };
  var form = el('say');
  var nameBox = el('name');
  var textBox = el('text');
  var asked = new URLSearchParams(location.search).get('room');

  var limits = { text: 500, name: 40 };   // chat-state.php says, when PHP serves this page
  var room = null;
  var channel = null;
  var relay = null;
  var pending = new Map();                // ref -> { text, timer }: sent, neither posted nor refused yet
  var chatId = Demo.tabId('rawrelay.chatId', 'chat-');

  var list = Demo.messageList(el('messages'));
  var view = Demo.storedAndLive(function (line) { list.add(line.text, line.date, line.name); }, list.clear);

  // Characters as PHP counts them (code points, not UTF-16 units).
  function length(text) { return Array.from(text).length; }

  function notice(text, kind) {
    el('notice').textContent = text;
    el('notice').className = kind || '';
  }

  function countText() {
    var n = length(textBox.value.trim());
    el('count').textContent = n + ' / ' + limits.text;
    el('count').className = n > limits.text ? 'over' : '';
  }

  function storedName() {
    try { return localStorage.getItem(NAME_KEY); } catch (e) { return null; }
  }

  function keepName(name) {
    try { localStorage.setItem(NAME_KEY, name); } catch (e) { /* storage disabled: asked again next time */ }
  }

  // A line as the list shows it, from the state or from the channel.
  function item(line) {
    return { id: line.id, name: String(line.name), text: String(line.text), date: new Date(line.time * 1000) };
  }

  // chat-state.php's answer as { status, body } (status 0, body null: no PHP serves this page).
  function fetchState() {
    if (typeof fetch !== 'function' || !/^https?:$/.test(location.protocol)) return Promise.resolve({ status: 0, body: null });
    var query = room !== null ? '?room=' + encodeURIComponent(room) : asked !== null ? '?room=' + encodeURIComponent(asked) : '';
    return fetch('chat-state.php' + query, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; },
          function () { return { status: response.status, body: null }; });
      })
      .catch(function () { return { status: 0, body: null }; });
  }

  function showRooms(names) {
    var nav = el('rooms');
    nav.textContent = '';
    names.forEach(function (name) {
      var a = document.createElement('a');
      a.href = 'chat.html?room=' + encodeURIComponent(name);
      a.textContent = '#' + name;
      if (name === room) a.setAttribute('aria-current', 'page');
      nav.appendChild(a);
    });
  }

  function off(why) {
    form.querySelector('button').disabled = true;
    notice(why, 'error');
  }

  // ---- what comes from the relay ----

  function settle(ref) {
    var sent = pending.get(ref);
    if (sent) {
      clearTimeout(sent.timer);
      pending.delete(ref);
    }
    return sent || null;
  }

  function receive(msg) {
    var value = null;
    try { value = msg.text === null ? null : JSON.parse(msg.text); } catch (e) { /* not one of PHP's */ }
    if (!value || typeof value !== 'object') return;
    if (value.type === 'line' && value.room === room && Number.isInteger(value.id) && msg.stream !== '#' + chatId) {
      view.live(item(value));
      if (settle(value.ref) && pending.size === 0) notice('');
    } else if (value.type === 'refused' && msg.stream !== channel) {
      var sent = settle(value.ref);
      if (sent && textBox.value === '') {
        textBox.value = sent.text;                    // back into the box, to shorten or fix
        countText();
      }
      notice('Not posted: ' + String(value.reason), 'error');
    }
  }

  // ---- saying something ----

  function say(event) {
    event.preventDefault();
    if (relay === null) return;                       // the room is still loading
    var name = nameBox.value.trim();
    var text = textBox.value.replace(/\r\n/g, '\n').trim();
    if (name === '' || length(name) > limits.name) {
      notice('Not sent: a name is 1 to ' + limits.name + ' characters.', 'error');
      nameBox.focus();
      return;
    }
    if (text === '') {
      notice('Write something first.');
      return;
    }
    if (length(text) > limits.text) {
      notice('Not sent: a line is at most ' + limits.text + ' characters; this one has ' + length(text) + '.', 'error');
      return;
    }
    var ref = Demo.randomId(12);
    if (!relay.send(JSON.stringify({ room: room, name: name, text: text, ref: ref }))) {
      notice('Not sent: not connected to the relay. Send again once it says connected.', 'error');
      return;
    }
    keepName(name);
    textBox.value = '';
    countText();
    pending.set(ref, {
      text: text,
      timer: setTimeout(function () {
        if (pending.has(ref)) notice('No answer yet: is PHP taking the relay\u2019s webhook (chat-hook.php)?', 'error');
      }, ANSWER_TIMEOUT_MS)
    });
    notice('Sending\u2026');
  }

  form.addEventListener('submit', say);
  textBox.addEventListener('input', countText);
  textBox.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();                           // Enter sends, Shift+Enter makes a new line
    }
  });
  nameBox.value = storedName() || 'guest-' + Demo.randomId(4).toLowerCase();

  // ---- the room: its state from PHP, then live ----

  fetchState().then(function (answer) {
    var state = answer.status === 200 && answer.body && Array.isArray(answer.body.lines) ? answer.body : null;
    if (answer.status === 404 && answer.body && Array.isArray(answer.body.rooms)) {
      el('room').textContent = asked;
      showRooms(answer.body.rooms);
      Demo.setState('invalid', 'no such room here');
      off('There is no room "' + asked + '" here: pick one above.');
      return;
    }
    room = state ? state.room : asked || 'lobby';
    el('room').textContent = room;
    document.title = '#' + room + ' \u2013 RawRelay chat';
    if (!ROOM_PATTERN.test(room)) {
      Demo.setState('invalid', 'a room is 1 to 32 characters of a-z 0-9 -');
      off('There is no such room.');
      return;
    }
    channel = 'chat.' + room;
    if (state) {
      limits = { text: state.max_text, name: state.max_name };
      showRooms(state.rooms);
      if (!state.enabled) off('The chat is off here: this site has no RAWRELAY_WEBHOOK_SECRET, so PHP cannot take the relay\u2019s webhook (README: Try it, the chat).');
    } else {
      notice('No PHP here: the chat needs chat-state.php and chat-hook.php. Open this page from PHP\u2019s server (make run prints its address).', 'error');
    }
    countText();
    view.state(state ? state.lines.map(item) : null);
    var positions = {};
    if (state && state.position) positions[channel] = state.position;
    relay = Demo.connect({
      id: chatId,
      channels: [channel],
      url: state && state.websocket,
      positions: positions,
      onMessage: receive,
      // The relay could not fill the gap (it restarted, or no longer keeps what was missed): load the
      // room's lines again; live ones wait for them.
      onReset: function (stream) {
        if (stream === channel && view.reload()) {
          fetchState().then(function (again) {
            view.state(again.status === 200 && again.body && Array.isArray(again.body.lines) ? again.body.lines.map(item) : null);
          });
        }
      }
    });
  });
})();
