// The app's entry points as the manifest declares them (S.data.app): its global shortcuts
// (buttons by the channel's name, as Slack's shortcuts menu), its message shortcuts (a
// message's "More actions" menu) and its slash commands (typed in the composer); and the
// Home tab beside the channel, showing what the app published for you.

import {post, refresh} from './api.js';
import {blocksEl} from './blocks.js';
import {S, app, el, setStatus} from './state.js';
import {h} from './util.js';

const globalShortcuts = () => (app().shortcuts || []).filter((s) => s.type === 'global');

async function send(path, body, busy) {
  if (!S.me) {
    setStatus('Choose who you are first.', 'error');
    return false;
  }
  if (busy) busy.disabled = true;
  try {
    await post(path, {user: S.me, ...body});
    setStatus('');
    await refresh();
    return true;
  } catch (e) {
    setStatus(e.message, 'error');
    return false;
  } finally {
    if (busy) busy.disabled = false;
  }
}

/**
 * A composer's text that is a slash command ("/support the export is blank"): sent as the
 * command (true), or said to be none (true: nothing is posted). Other text: false.
 */
export async function runCommand(text, busy) {
  const m = /^(\/[\w-]+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return {handled: false};
  const known = (app().commands || []).some((c) => c.command === m[1]);
  if (!known) {
    setStatus(`${m[1]} is not a valid command. In Slack, messages that start with / are commands.`, 'error');
    return {handled: true, sent: false};
  }
  return {handled: true, sent: await send('/api/slash', {command: m[1], text: m[2] || ''}, busy)};
}

/** Clicks the page's handler passes on: true when they were ours. */
export function shortcutClick(button) {
  const {act, callback, ts} = button.dataset;
  if (act === 'shortcut') send('/api/shortcut', {callback_id: callback}, button);
  else if (act === 'message-shortcut') {
    S.more = null;
    send('/api/message_shortcut', {callback_id: callback, ts}, button);
  } else if (act === 'more') {
    const open = S.more && S.more.ts === ts && S.more.scope === button.dataset.scope;
    S.more = open ? null : {ts, scope: button.dataset.scope};
    return 'render';
  } else if (act === 'tab') {
    showTab(button.dataset.tab);
  } else return false;
  return true;
}

/** Open the Home tab (Slack sends app_home_opened each time) or go back to the channel. */
export function showTab(tab) {
  S.tab = tab === 'home' && app().home_tab ? 'home' : 'channel';
  renderTabs();
  if (S.tab === 'home') send('/api/home', {}, null);
}

export function renderTabs() {
  const features = app();
  const globals = globalShortcuts();
  const sig = JSON.stringify(globals);
  if (el.shortcuts._sig !== sig) {
    el.shortcuts._sig = sig;
    el.shortcuts.replaceChildren(...globals.map((s) => h('button', {
      type: 'button', class: 'button-secondary shortcut', 'data-testid': 'shortcut', 'data-act': 'shortcut',
      'data-callback': String(s.callback_id), 'data-fkey': `shortcut:${s.callback_id}`,
      title: 'A shortcut of the app',
    }, h('span', {'aria-hidden': 'true'}, '⚡ '), String(s.name || s.callback_id))));
  }
  if (!features.home_tab && S.tab === 'home') S.tab = 'channel';
  el.tabs.hidden = !features.home_tab;
  for (const tab of el.tabs.querySelectorAll('[data-tab]')) {
    tab.setAttribute('aria-selected', tab.dataset.tab === S.tab ? 'true' : 'false');
  }
  const home = S.tab === 'home';
  el.home.hidden = !home;
  el.messages.hidden = home;
  el.composerForm.hidden = home;
  if (home) el.messagesEmpty.hidden = true;
  renderHome();
}

function renderHome() {
  const all = (S.data && S.data.home) || {};
  const view = S.me ? all[S.me] : null;
  const sig = JSON.stringify([S.me, view]);
  if (el.home._sig === sig) return;
  el.home._sig = sig;
  const drawn = view ? blocksEl(view.blocks, {act: 'view-press', view: view.id}, `home:${view.id}`) : null;
  el.home.replaceChildren(drawn || h('p', {class: 'empty'}, 'The app has not published a Home tab for you yet.'));
}
