// The page's state: the last /api/state answer, who you are, what is open; and the
// look-ups into that answer.

const WHO_KEY = 'watchstander_sandbox.who';

export const S = {
  data: null,        // last /api/state answer
  me: readSaved(),   // chosen person id
  thread: null,      // ts of the open thread's root, or null
  menu: null,        // {scope, ts} of the open reaction menu, or null
  stick: {channel: true, thread: true},  // keep the list scrolled to the bottom
  firstRender: true,
  loadError: false,
  sending: {channel: false, thread: false},
  more: null,        // {scope, ts} of the open "More actions" menu, or null
  tab: 'channel',    // 'channel' or 'home'
};

/** The page's elements by name, filled in by main.js when the page starts. */
export const el = {};

export function readSaved() {
  try { return localStorage.getItem(WHO_KEY); } catch (_) { return null; }
}
export function save(id) {
  try { localStorage.setItem(WHO_KEY, id); } catch (_) { /* private mode */ }
}

export const people = () => (S.data && Array.isArray(S.data.people) ? S.data.people : []);
export const person = (id) => people().find((p) => p.id === id) || null;
export const bot = () => (S.data && S.data.bot) || {id: '', name: 'watchstander'};
export const channel = () => (S.data && S.data.channel) || {id: '', name: 'support'};
export const groups = () => (S.data && Array.isArray(S.data.groups) ? S.data.groups : []);
export const messages = () => (S.data && Array.isArray(S.data.messages) ? S.data.messages : []);

/** The ephemeral messages shown to the person you are (marked so), oldest first. */
export function myEphemerals() {
  const all = (S.data && S.data.ephemerals) || {};
  const list = S.me && Array.isArray(all[S.me]) ? all[S.me] : [];
  return list.map((m) => ({...m, ephemeral: true}));
}

/** Slack's ts order ("1700000000.000100"), exactly (a float would round the microseconds). */
export function byTs(a, b) {
  const [as, af = ''] = String(a.ts).split('.');
  const [bs, bf = ''] = String(b.ts).split('.');
  return (Number(as) - Number(bs)) || (af.padEnd(6, '0') < bf.padEnd(6, '0') ? -1 : af === bf ? 0 : 1);
}

/** The app's shortcuts, slash commands and Home tab, as its manifest declares them. */
export const app = () => (S.data && S.data.app) || {shortcuts: [], commands: [], home_tab: false};
export const messageShortcuts = () => (app().shortcuts || []).filter((s) => s.type === 'message');

/** The status line: a message (kind 'error' or not), or '' to clear it. */
export function setStatus(text, kind) {
  el.status.textContent = text || '';
  el.status.classList.toggle('error', kind === 'error' && !!text);
  el.status.classList.toggle('info', kind !== 'error' && !!text);
}

export function findMessage(ts) {
  for (const m of messages()) {
    if (m.ts === ts) return m;
    for (const r of m.replies || []) if (r.ts === ts) return r;
  }
  return null;
}

/** The ts of the thread root that `ts` is (or is a reply in), or null. */
export function rootOf(ts) {
  for (const m of messages()) {
    if (m.ts === ts) return m.ts;
    for (const r of m.replies || []) if (r.ts === ts) return m.ts;
  }
  return null;
}

export function displayName(id) {
  const p = person(id);
  if (p) return p.name;
  if (id && id === bot().id) return bot().name;
  return null;
}
