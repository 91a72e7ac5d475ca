// Rendering the page from the state: who you are, the channel, the open thread, the bot's
// direct messages, the PagerDuty and GitHub panels, and the status line.

import {atBottom, messageEl} from './message.js';
import {S, byTs, channel, el, messages, myEphemerals, people, person, readSaved, setStatus} from './state.js';
import {dayNumber, zone} from './clock.js';
import {h, reconcile, timeEl, toDate} from './util.js';

const keyOf = (m) => (m.ephemeral ? `e:${m.ts}` : m.ts);

function contextSig() {
  const d = S.data || {};
  // The zone and today (labels say "Mon 14:05"), the links' targets: a change redraws all.
  const issues = Array.isArray(d.github) ? d.github.map((i) => [i.number, i.html_url]) : [];
  return JSON.stringify([S.me, d.people, d.bot, d.groups, d.channel, d.timezone, d.workspace_url,
    issues, dayNumber(new Date(), zone()), d.app]);
}

function msgSig(ctx, scope, msg, extra) {
  const menuHere = !!S.menu && S.menu.scope === scope && S.menu.ts === msg.ts;
  const moreHere = !!S.more && S.more.scope === scope && S.more.ts === msg.ts;
  return `${ctx}|${scope}|${menuHere}|${moreHere}|${extra || ''}|${JSON.stringify(msg)}`;
}

// ------------------------------------------------------------------ rendering: everything

function renderWho() {
  const list = people();
  const sig = JSON.stringify(list.map((p) => [p.id, p.name, p.role]));
  if (el.who._sig !== sig) {
    el.who._sig = sig;
    el.who.replaceChildren(...list.map((p) =>
      h('option', {value: p.id}, p.role ? `${p.name} (${p.role})` : p.name)));
  }
  if (!S.me || !person(S.me)) {
    const saved = readSaved();
    S.me = saved && person(saved) ? saved : (list[0] ? list[0].id : null);
  }
  if (S.me && el.who.value !== S.me) el.who.value = S.me;
}

function renderHeader() {
  const d = S.data;
  const team = d.team || 'Watchstander Sandbox';
  const chan = channel().name || 'support';
  el.teamName.textContent = team;
  el.channelName.textContent = chan;
  const n = messages().length;
  el.channelMeta.textContent = `${n} message${n === 1 ? '' : 's'}`;
  el.threadMeta.textContent = `# ${chan}`;
  el.messages.setAttribute('aria-label', `Messages in #${chan}`);
  el.composer.placeholder = `Message #${chan}`;
  el.composerLabel.textContent = `Message #${chan}`;
  document.title = `#${chan} · ${team}`;
}

function renderChannel(ctx) {
  const box = el.messages;
  const wasBottom = S.firstRender || S.stick.channel || atBottom(box);
  // Your ephemeral messages among the others (those of a thread that is here: in the thread)
  const roots = new Set(messages().map((m) => m.ts));
  const mine = myEphemerals().filter((e) => !e.thread_ts || !roots.has(e.thread_ts));
  const items = mine.length ? [...messages(), ...mine].sort(byTs) : messages();
  reconcile(box, items, keyOf,
    (m) => msgSig(ctx, 'channel', m, S.thread === m.ts ? 'open' : ''),
    (m) => messageEl(m, 'channel', false));
  el.messagesEmpty.hidden = messages().length > 0;
  if (wasBottom) {
    box.scrollTop = box.scrollHeight;
    S.stick.channel = true;
  }
}

function renderThread(ctx) {
  const root = S.thread ? messages().find((m) => m.ts === S.thread) : null;
  if (S.thread && !root && S.data) S.thread = null;  // the thread is gone
  const open = !!root;
  el.thread.hidden = !open;
  el.layout.classList.toggle('has-thread', open);
  if (!open) {
    reconcile(el.threadMessages, [], () => '', () => '', () => null);
    return;
  }
  const box = el.threadMessages;
  const wasBottom = S.stick.thread || atBottom(box);
  const mine = myEphemerals().filter((e) => e.thread_ts === root.ts);
  const replies = [...(root.replies || []), ...mine].sort(byTs);
  const items = [{m: root, root: true}, ...replies.map((m) => ({m, root: false}))];
  reconcile(box, items, (it) => keyOf(it.m),
    (it) => msgSig(ctx, 'thread', it.m, it.root ? `root:${(root.replies || []).length}` : ''),
    (it) => messageEl(it.m, 'thread', it.root));
  if (wasBottom) {
    box.scrollTop = box.scrollHeight;
    S.stick.thread = true;
  }
}

function renderDms(ctx) {
  const p = person(S.me);
  el.dmsTo.textContent = p ? `To ${p.name}${p.real_name ? ` (${p.real_name})` : ''}` : 'Choose who you are above.';
  const all = (S.data && S.data.dms) || {};
  const list = (S.me && Array.isArray(all[S.me])) ? all[S.me] : [];
  reconcile(el.dmList, list, (m) => `${S.me}:${m.ts}`, (m) => msgSig(ctx, 'dm', m), (m) => messageEl(m, 'dm', false));
  el.dmEmpty.hidden = list.length > 0;
}

function renderPagerDuty() {
  const list = (S.data && Array.isArray(S.data.pagerduty)) ? S.data.pagerduty : [];
  el.pdEmpty.hidden = list.length > 0;
  const sig = JSON.stringify([list, zone(), dayNumber(new Date(), zone())]);
  if (el.pdList._sig === sig) return;
  el.pdList._sig = sig;
  el.pdList.replaceChildren(...list.map((ev) => {
    const action = String(ev.action || 'event');
    const d = toDate(ev.at);
    return h('li', {class: `pd-event pd-${action.replace(/[^a-z_-]/gi, '')}`, 'data-testid': 'pd-event', 'data-action': action},
      h('div', {class: 'pd-head'},
        h('span', {class: 'pd-action'}, action),
        ev.severity ? h('span', {class: 'pd-severity'}, ev.severity) : null,
        d ? timeEl(ev.at, null, true) : null),
      ev.summary ? h('p', {class: 'pd-summary'}, ev.summary) : null,
      ev.dedup_key ? h('p', {class: 'pd-key'}, h('span', {class: 'sr-only'}, 'Dedup key: '),
        h('code', {title: 'Dedup key'}, ev.dedup_key)) : null);
  }));
}

function labelClass(name) {
  const n = String(name).toLowerCase();
  if (n === 'bug' || n === 'emergency') return 'pill pill-red';
  if (n === 'urgent' || n === 'postmortem' || n === 'post-mortem') return 'pill pill-orange';
  if (n === 'support' || n === 'documentation' || n === 'docs') return 'pill pill-blue';
  return 'pill';
}

function renderGithub() {
  const list = (S.data && Array.isArray(S.data.github)) ? S.data.github : [];
  reconcile(el.ghList, list, (i) => String(i.number), (i) => JSON.stringify(i), (issue, old) => {
    const state = String(issue.state || 'open');
    const labels = Array.isArray(issue.labels) ? issue.labels.map((l) => (typeof l === 'string' ? l : l && l.name)).filter(Boolean) : [];
    const oldDetails = old && old.querySelector('details');
    const details = h('details', {class: 'gh-body'},
      h('summary', null, 'Description'),
      issue.body ? h('div', {class: 'gh-text'}, issue.body) : h('p', {class: 'muted'}, 'No description.'),
      issue.html_url ? h('p', {class: 'gh-url'}, issue.html_url) : null);
    if (oldDetails && oldDetails.open) details.open = true;
    return h('li', {class: `gh-issue gh-${state}`, 'data-testid': 'gh-issue', 'data-number': issue.number, 'data-state': state,
      id: `issue-${issue.number}`, tabindex: '-1'},
      h('div', {class: 'gh-head'},
        h('span', {class: `gh-state gh-state-${state}`}, state),
        h('span', {class: 'gh-number'}, `#${issue.number}`),
        h('span', {class: 'gh-title'}, issue.title || '(no title)')),
      labels.length ? h('div', {class: 'gh-labels', 'aria-label': 'Labels'}, labels.map((l) => h('span', {class: labelClass(l)}, l))) : null,
      details,
      state === 'open' ? h('button', {
        type: 'button', class: 'button-secondary gh-close', 'data-testid': 'gh-close', 'data-number': issue.number,
        'data-act': 'close-issue', 'data-fkey': `gh:close:${issue.number}`, 'aria-label': `Close issue #${issue.number}`,
      }, 'Close issue') : null);
  });
  el.ghEmpty.hidden = list.length > 0;
}

export {setStatus};  // the status line (in state.js, where every module may reach it)

const hooks = [];
/** Draw `fn` too on every render (the Home tab, the modal: main.js adds them). */
export function alsoRender(fn) { hooks.push(fn); }

export function render() {
  if (!S.data) return;
  const active = document.activeElement;
  const fkey = active && active.getAttribute && active.getAttribute('data-fkey');

  renderWho();
  renderHeader();
  const ctx = contextSig();
  renderChannel(ctx);
  renderThread(ctx);
  renderDms(ctx);
  renderPagerDuty();
  renderGithub();
  for (const fn of hooks) fn();
  S.firstRender = false;

  // A rebuilt element loses focus: give it back to its successor.
  if (fkey && (!document.activeElement || document.activeElement === document.body)) {
    const again = document.querySelector(`[data-fkey="${CSS.escape(fkey)}"]`);
    if (again) again.focus({preventScroll: true});
  }
}
