// The sandbox server: POSTs to /api/*, and /api/state fetched whenever the server-sent
// events of /api/events say something changed (every few seconds if they cannot).

import {setZone} from './clock.js';
import {S, el} from './state.js';
import {render, setStatus} from './views.js';

const POLL_MS = 2000;

export function setConnection(mode) {
  el.connection.dataset.mode = mode;
  el.connection.textContent = {live: 'live', polling: 'polling', connecting: 'connecting…', offline: 'offline'}[mode] || mode;
  el.connection.title = mode === 'live' ? 'Updates arrive as they happen'
    : mode === 'polling' ? `Checking for updates every ${POLL_MS / 1000} s` : '';
}

async function errorOf(resp) {
  let text = '';
  try { text = await resp.text(); } catch (_) { /* ignore */ }
  try {
    const j = JSON.parse(text);
    if (j && j.error) return String(j.error);
  } catch (_) { /* not JSON */ }
  const line = text.trim().split('\n')[0].slice(0, 200);
  return line || `HTTP ${resp.status} ${resp.statusText}`.trim();
}

export async function post(path, body) {
  let resp;
  try {
    resp = await fetch(path, {
      method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify(body),
    });
  } catch (_) {
    throw new Error('Could not reach the sandbox server.');
  }
  if (!resp.ok) throw new Error(await errorOf(resp));
  let data = {};
  try { data = await resp.json(); } catch (_) { data = {}; }
  if (data && (data.ok === false || data.error)) throw new Error(String(data.error || 'The server said no.'));
  return data || {};
}

let inflight = null;
let again = false;

/** Fetch /api/state and render. Calls while a fetch runs make one more fetch after it. */
export function refresh() {
  if (inflight) {
    again = true;
    return inflight;
  }
  inflight = (async () => {
    do {
      again = false;
      try {
        const resp = await fetch('/api/state', {cache: 'no-store', headers: {Accept: 'application/json'}});
        if (!resp.ok) throw new Error(await errorOf(resp));
        S.data = await resp.json();
        setZone(S.data && S.data.timezone);
        if (S.loadError) {
          S.loadError = false;
          setStatus('');
        }
        render();
      } catch (e) {
        S.loadError = true;
        setStatus(`Could not load the sandbox state: ${e.message}`, 'error');
      }
    } while (again);
  })().finally(() => { inflight = null; });
  return inflight;
}

let pollTimer = null;
function startPolling() {
  setConnection('polling');
  if (pollTimer === null) pollTimer = setInterval(refresh, POLL_MS);
}

export function connect() {
  if (typeof EventSource === 'undefined') {
    startPolling();
    return;
  }
  let es;
  try {
    es = new EventSource('/api/events');
  } catch (_) {
    startPolling();
    return;
  }
  es.addEventListener('version', (ev) => {
    const v = Number(ev.data);
    if (!S.data || Number.isNaN(v) || v !== S.data.version) refresh();
  });
  es.onmessage = () => refresh();
  es.onopen = () => {
    setConnection('live');
    refresh();  // catch anything that changed before the stream opened
  };
  es.onerror = () => {
    es.close();
    startPolling();
  };
}
