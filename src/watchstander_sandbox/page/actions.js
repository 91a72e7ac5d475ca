// What you do on the page: send, react, open and close threads and the reaction menu,
// press the bot's buttons and choose in its menus, dismiss an ephemeral message, close an
// issue; the click, change and key handlers.

import {post, refresh} from './api.js';
import {atBottom} from './message.js';
import {modalClick} from './modal.js';
import {runCommand, shortcutClick} from './shortcuts.js';
import {S, el, findMessage, rootOf} from './state.js';
import {render, setStatus} from './views.js';

async function send(scope) {
  const ta = scope === 'thread' ? el.threadComposer : el.composer;
  const button = scope === 'thread' ? el.threadSend : el.send;
  if (S.sending[scope]) return;
  const text = ta.value;
  if (!text.trim()) {
    ta.focus();
    return;
  }
  if (!S.me) {
    setStatus('Choose who you are first.', 'error');
    return;
  }
  const threadTs = scope === 'thread' ? S.thread : null;
  if (scope === 'thread' && !threadTs) return;
  S.sending[scope] = true;
  button.disabled = true;
  ta.setAttribute('aria-busy', 'true');
  try {
    const command = scope === 'channel' ? await runCommand(text, null) : {handled: false};
    if (command.handled) {  // a slash command: sent to the app (or said to be none), not posted
      if (command.sent && ta.value === text) ta.value = '';
      return;
    }
    await post('/api/post', {user: S.me, text, thread_ts: threadTs});
    if (ta.value === text) ta.value = '';
    else if (ta.value.startsWith(text)) ta.value = ta.value.slice(text.length).replace(/^\n/, '');
    autosize(ta);
    setStatus('');
    S.stick[scope] = true;
    if (scope === 'thread') S.stick.channel = S.stick.channel || atBottom(el.messages);
    await refresh();
  } catch (e) {
    setStatus(e.message, 'error');
  } finally {
    S.sending[scope] = false;
    button.disabled = false;
    ta.removeAttribute('aria-busy');
  }
}

async function toggleReaction(ts, name) {
  if (!S.me) {
    setStatus('Choose who you are first.', 'error');
    return;
  }
  const msg = findMessage(ts);
  const r = msg && Array.isArray(msg.reactions) ? msg.reactions.find((x) => x.name === name) : null;
  const add = !(r && Array.isArray(r.users) && r.users.includes(S.me));
  try {
    await post('/api/react', {user: S.me, ts, name, add});
    setStatus('');
    await refresh();
  } catch (e) {
    setStatus(e.message, 'error');
  }
}

/** Press a control of the bot's message `ts` (a button, or an option `value` of a menu). */
async function press(ts, actionId, value, control) {
  if (!S.me) {
    setStatus('Choose who you are first.', 'error');
    return;
  }
  control.disabled = true;
  control.setAttribute('aria-busy', 'true');
  try {
    await post('/api/press', {user: S.me, ts, action_id: actionId, value: value || ''});
    setStatus('');
  } catch (e) {
    setStatus(e.message, 'error');
  } finally {
    control.disabled = false;
    control.removeAttribute('aria-busy');
  }
}

async function dismiss(ts) {
  try {
    await post('/api/dismiss', {user: S.me, ts});
    setStatus('');
    await refresh();
  } catch (e) {
    setStatus(e.message, 'error');
  }
}

async function closeIssue(number, button) {
  button.disabled = true;
  try {
    await post('/api/close', {number: Number(number)});
    setStatus('');
    await refresh();
  } catch (e) {
    setStatus(e.message, 'error');
    button.disabled = false;
  }
}

function focusKey(fkey) {
  const node = document.querySelector(`[data-fkey="${CSS.escape(fkey)}"]`);
  if (node) node.focus({preventScroll: false});
  return node;
}

function openMenu(scope, ts) {
  S.menu = {scope, ts};
  render();
  const first = document.querySelector(
    `.reaction-menu[data-ts="${CSS.escape(ts)}"] [data-testid="reaction-option"]`);
  const menu = first && first.closest('.reaction-menu');
  if (menu) menu.scrollIntoView({block: 'nearest'});
  if (first) first.focus({preventScroll: true});
}

function closeMenu(returnFocus) {
  if (!S.menu) return;
  const {scope, ts} = S.menu;
  S.menu = null;
  render();
  if (returnFocus) focusKey(`${scope}:add:${ts}`);
}

function openThread(ts) {
  const changed = S.thread !== ts;
  S.thread = ts;
  S.stick.thread = true;
  if (changed) {
    el.threadComposer.value = '';
    autosize(el.threadComposer);
  }
  render();
  if (window.matchMedia('(max-width: 760px)').matches) el.thread.scrollIntoView({block: 'start'});
  el.threadComposer.focus({preventScroll: true});
}

function flash(node) {
  if (!node) return;
  node.classList.remove('flash');
  void node.offsetWidth;  // restart the animation
  node.classList.add('flash');
  node.addEventListener('animationend', () => node.classList.remove('flash'), {once: true});
}

/** A permalink the bot wrote: open the thread, show the message in it. */
function showMessage(ts, threadTs) {
  const root = (threadTs && rootOf(threadTs)) || rootOf(ts);
  if (!root) {
    setStatus('That message is not in #support here any more.', 'error');
    return;
  }
  setStatus('');
  openThread(root);
  const inChannel = el.messages.querySelector(`li[data-ts="${CSS.escape(root)}"]`);
  if (inChannel) {
    S.stick.channel = false;
    inChannel.scrollIntoView({block: 'center'});
  }
  const inThread = el.threadMessages.querySelector(`li[data-ts="${CSS.escape(ts)}"]`);
  if (inThread && ts !== root) {
    S.stick.thread = false;
    inThread.scrollIntoView({block: 'center'});
  }
  flash(inThread || inChannel);
}

/** A link to an issue of the sandbox's GitHub: its entry in the GitHub panel, opened. */
function showIssue(number) {
  const item = el.ghList.querySelector(`li[data-number="${CSS.escape(String(number))}"]`);
  if (!item) {
    setStatus(`Issue #${number} is not in the GitHub panel.`, 'error');
    return;
  }
  setStatus('');
  const details = item.querySelector('details');
  if (details) details.open = true;
  item.scrollIntoView({block: 'nearest'});
  item.focus({preventScroll: true});
  flash(item);
}

export function closeThread() {
  const ts = S.thread;
  S.thread = null;
  if (S.menu && S.menu.scope === 'thread') S.menu = null;
  render();
  if (ts) focusKey(`channel:thread:${ts}`);
}

const scopeOf = (node) => (node.closest('#thread') ? 'thread' : node.closest('#dm-list') ? 'dm' : 'channel');

export function onClick(ev) {
  const target = ev.target instanceof Element ? ev.target : null;
  if (!target) return;
  const button = target.closest('[data-act]');
  if (S.menu && !target.closest('.reaction-menu') && !(button && button.dataset.act === 'add-reaction')) {
    closeMenu(false);
  }
  if (S.more && !(button && ['more', 'message-shortcut'].includes(button.dataset.act))) {
    S.more = null;
    render();
  }
  if (!button || button.disabled) return;
  if (modalClick(button)) return;
  const ours = shortcutClick(button);
  if (ours === 'render') render();
  if (ours) return;
  const {act, ts, name} = button.dataset;
  const scope = scopeOf(button);
  if (act === 'toggle-reaction') {
    toggleReaction(ts, name);
  } else if (act === 'add-reaction') {
    if (S.menu && S.menu.scope === scope && S.menu.ts === ts) closeMenu(true);
    else openMenu(scope, ts);
  } else if (act === 'pick-reaction') {
    S.menu = null;
    render();
    focusKey(`${scope}:add:${ts}`);
    toggleReaction(ts, name);
  } else if (act === 'open-thread') {
    if (S.thread === ts && !el.thread.hidden) el.threadComposer.focus();
    else openThread(ts);
  } else if (act === 'open-link') {
    if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    if (button.dataset.number) showIssue(button.dataset.number);
    else showMessage(ts, button.dataset.thread || null);
  } else if (act === 'close-issue') {
    closeIssue(button.dataset.number, button);
  } else if (act === 'press') {
    press(ts, button.dataset.action, button.dataset.value, button);
  } else if (act === 'dismiss') {
    dismiss(ts);
  }
}

/** A choice in one of the bot's menus (a <select data-change>). */
export function onChange(ev) {
  const select = ev.target instanceof HTMLSelectElement ? ev.target : null;
  if (!select || !select.value) return;
  const {change, ts, action} = select.dataset;
  if (change === 'press') press(ts, action, select.value, select);
}

export function onKeydown(ev) {
  if (ev.key === 'Escape' && S.menu) {
    ev.preventDefault();
    closeMenu(true);
    return;
  }
  if (ev.key === 'Escape' && S.more) {
    const {scope, ts} = S.more;
    ev.preventDefault();
    S.more = null;
    render();
    focusKey(`${scope}:more:${ts}`);
    return;
  }
  const option = ev.target instanceof Element ? ev.target.closest('.reaction-option') : null;
  if (option && ['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp', 'Home', 'End'].includes(ev.key)) {
    const all = [...option.parentElement.querySelectorAll('.reaction-option')];
    const i = all.indexOf(option);
    const j = ev.key === 'Home' ? 0 : ev.key === 'End' ? all.length - 1
      : (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') ? (i + 1) % all.length : (i - 1 + all.length) % all.length;
    ev.preventDefault();
    all[j].focus();
  }
}

function autosize(ta) {
  if (!ta.value || ta.offsetParent === null) {
    ta.style.height = '';
    return;
  }
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(ta.scrollHeight + 2, 200)}px`;
}

export function wireComposer(form, ta, scope) {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    send(scope);
  });
  ta.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      send(scope);
    }
  });
  ta.addEventListener('input', () => autosize(ta));
}
