'use strict';
// window.probe.events: one entry per callback of rawrelay.js, in order:
//   { kind: 'message', stream, position, offset, text }   (text: the string, or "bytes:<hex>" for binary)
//   { kind: 'reset', stream, position }
// #state: the last onStatus state. The "back" link of away.html returns here with the same query.
(function () {
  const params = new URLSearchParams(location.search);
  const positions = {};
  for (const at of params.getAll('at')) {
    const space = at.lastIndexOf(' ');
    positions[at.slice(0, space)] = at.slice(space + 1);
  }
  const events = [];
  window.probe = { events };
  const list = document.getElementById('events');

  function record(event) {
    events.push(event);
    const li = document.createElement('li');
    li.textContent = JSON.stringify(event);
    list.appendChild(li);
  }

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  window.probe.relay = RawRelay.connect({
    id: params.get('id'),
    channels: params.getAll('channel'),
    positions,
    backoff: { minMs: 200, maxMs: 1000 },
    onMessage: (m) => record({ kind: 'message', stream: m.stream, position: m.position, offset: m.offset,
      text: m.binary ? 'bytes:' + hex(m.data) : m.text }),
    onReset: (stream, position) => record({ kind: 'reset', stream, position }),
    onStatus: (state) => { document.getElementById('state').textContent = state; },
  });
  document.getElementById('away').href = 'away.html' + location.search;
})();
