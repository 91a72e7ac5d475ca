// One message as an element (author, text or blocks, files, reactions, its thread button;
// an ephemeral one marked as seen by you alone, with a way to dismiss it), and keeping the
// message lists scrolled to the bottom.

import {blocksEl} from './blocks.js';
import {EMOJI, REACTIONS} from './emoji.js';
import {mrkdwn} from './mrkdwn.js';
import {S, bot, displayName, el, messageShortcuts, person} from './state.js';
import {stamp, zone} from './clock.js';
import {h, hashIndex, safeUrl, timeEl, toDate} from './util.js';

const IMAGE_RE = /\.(png|jpe?g|gif|webp|svg|bmp|avif)(\?.*)?$/i;

const SCOPE_TESTID = {channel: 'message', thread: 'thread-message', dm: 'dm-message'};

function authorOf(msg) {
  const isBot = !!msg.is_bot || (msg.user && msg.user === bot().id);
  if (isBot) return {name: bot().name || 'watchstander', isBot: true, title: 'App'};
  const p = person(msg.user);
  return {name: msg.user_name || (p && p.name) || msg.user || 'someone', isBot: false,
    title: p ? [p.real_name, p.role].filter(Boolean).join(', ') : ''};
}

function emojiFor(name) {
  return EMOJI.get(name) || null;
}

function reactionChip(msg, r, scope) {
  const users = Array.isArray(r.users) ? r.users : [];
  const count = typeof r.count === 'number' ? r.count : users.length;
  const mine = !!S.me && users.includes(S.me);
  const e = emojiFor(r.name);
  const who = users.map((u) => displayName(u) || u).join(', ');
  const content = [h('span', {class: 'chip-emoji', 'aria-hidden': 'true'}, e || `:${r.name}:`),
    h('span', {class: 'chip-count'}, String(count))];
  if (scope === 'dm') {
    return h('span', {class: 'chip static', title: `:${r.name}: ${who}`}, content);
  }
  return h('button', {
    type: 'button', class: 'chip' + (mine ? ' mine' : ''),
    'data-testid': 'reaction', 'data-name': r.name, 'data-ts': msg.ts, 'data-act': 'toggle-reaction',
    'data-fkey': `${scope}:reaction:${msg.ts}:${r.name}`,
    'aria-pressed': mine ? 'true' : 'false',
    'aria-label': `${r.name} reaction, ${count}${who ? ` (${who})` : ''}`,
    title: `:${r.name}: ${who}${mine ? ' (click to remove yours)' : ' (click to add yours)'}`,
  }, content);
}

function reactionMenu(msg, scope) {
  const menu = h('div', {class: 'reaction-menu', role: 'group', 'aria-label': 'Choose a reaction',
    'data-testid': 'reaction-menu', 'data-ts': msg.ts});
  for (const [name, e] of REACTIONS) {
    menu.append(h('button', {
      type: 'button', class: 'reaction-option', 'data-testid': 'reaction-option', 'data-name': name,
      'data-ts': msg.ts, 'data-act': 'pick-reaction', 'data-fkey': `${scope}:option:${msg.ts}:${name}`,
      title: name, 'aria-label': name,
    }, h('span', {'aria-hidden': 'true'}, e)));
  }
  return menu;
}

function filesEl(msg) {
  const files = Array.isArray(msg.files) ? msg.files : [];
  if (!files.length) return null;
  return h('div', {class: 'files'}, files.map((f) => {
    const url = safeUrl(f.url || f.url_private || f.permalink || '');
    const name = f.name || f.title || 'file';
    const label = f.title || name;
    const isImage = (f.mimetype && String(f.mimetype).startsWith('image/')) || IMAGE_RE.test(name) ||
      IMAGE_RE.test(String(f.url || ''));
    if (isImage) {
      const img = h('img', {src: url, alt: label, loading: 'lazy', decoding: 'async'});
      img.addEventListener('load', keepBottoms);
      return h('figure', {class: 'file file-image'},
        h('a', {href: url, target: '_blank', rel: 'noopener noreferrer', title: `Open ${name}`}, img),
        h('figcaption', {class: 'file-name'}, label));
    }
    return h('a', {class: 'file file-other', href: url, target: '_blank', rel: 'noopener noreferrer'},
      h('span', {'aria-hidden': 'true'}, '📎 '), name);
  }));
}

/** "Only visible to you", and a way to put the message away (for you; nobody else saw it). */
function ephemeralNote(msg, scope) {
  return h('div', {class: 'ephemeral-note', 'data-testid': 'ephemeral-note'},
    h('span', {class: 'ephemeral-eye', 'aria-hidden': 'true'}, '👁'),
    h('span', null, 'Only visible to you'),
    h('button', {
      type: 'button', class: 'link-button', 'data-testid': 'dismiss', 'data-act': 'dismiss',
      'data-ts': msg.ts, 'data-fkey': `${scope}:dismiss:${msg.ts}`, 'aria-label': 'Dismiss this message',
    }, 'Dismiss'));
}

/** A message's "More actions" menu: the app's message shortcuts, for the message `ts`. */
export function moreMenu(msg, scope) {
  return h('div', {class: 'more-menu', role: 'menu', 'aria-label': 'More actions', 'data-testid': 'more-menu'},
    messageShortcuts().map((s) => h('button', {
      type: 'button', role: 'menuitem', class: 'more-item', 'data-testid': 'message-shortcut',
      'data-act': 'message-shortcut', 'data-callback': String(s.callback_id), 'data-ts': msg.ts,
      'data-fkey': `${scope}:shortcut:${msg.ts}:${s.callback_id}`,
    }, String(s.name || s.callback_id))));
}

export function messageEl(msg, scope, isRoot) {
  const author = authorOf(msg);
  const li = h('li', {
    class: `msg${author.isBot ? ' msg-bot' : ''}${isRoot ? ' thread-root' : ''}${msg.ephemeral ? ' msg-ephemeral' : ''}` +
      (scope === 'channel' && S.thread === msg.ts ? ' msg-active' : ''),
    'data-testid': SCOPE_TESTID[scope], 'data-ts': msg.ts,
    id: scope === 'channel' && !msg.ephemeral ? `msg-${msg.ts}` : null,
    'data-ephemeral': msg.ephemeral ? 'true' : null,
  });
  if (isRoot) li.setAttribute('data-root', 'true');

  const initial = (author.name || '?').charAt(0).toUpperCase();
  li.append(h('div', {class: `avatar ${author.isBot ? 'avatar-bot' : `avatar-${hashIndex(msg.user || author.name, 8)}`}`,
    'aria-hidden': 'true'}, author.isBot ? 'W' : initial));

  const body = h('div', {class: 'msg-body'});
  const head = h('div', {class: 'msg-head'},
    h('span', {class: 'author', title: author.title || null}, author.name),
    author.isBot ? h('span', {class: 'badge', title: 'This is an app'}, 'APP') : null,
    timeEl(msg.time, msg.ts, false));
  body.append(head);

  if (msg.ephemeral) body.prepend(ephemeralNote(msg, scope));
  // Blocks, when the message has any to draw (its text is then the notifications' fallback)
  const on = scope === 'dm' ? null : {act: 'press', ts: msg.ts};
  const drawn = blocksEl(msg.blocks, on, `${scope}:bk:${msg.ts}`);
  if (drawn) {
    body.append(drawn);
  } else {
    const text = h('div', {class: 'text'});
    text.innerHTML = mrkdwn(msg.text);  // mrkdwn() escapes every character of the text first
    body.append(text);
  }

  const files = filesEl(msg);
  if (files) body.append(files);

  const foot = h('div', {class: 'msg-foot'});
  let menu = null;
  const reactions = Array.isArray(msg.reactions) ? msg.reactions.filter((r) => r && r.name) : [];
  if (msg.ephemeral) {
    // as in Slack: no reactions, no thread on a message only you can see
  } else if (scope === 'dm') {
    if (reactions.length) foot.append(h('div', {class: 'reactions'}, reactions.map((r) => reactionChip(msg, r, scope))));
  } else {
    const open = !!S.menu && S.menu.scope === scope && S.menu.ts === msg.ts;
    const row = h('div', {class: 'reactions', role: 'group', 'aria-label': 'Reactions'},
      reactions.map((r) => reactionChip(msg, r, scope)),
      h('button', {
        type: 'button', class: 'chip add-reaction', 'data-testid': 'add-reaction', 'data-ts': msg.ts,
        'data-act': 'add-reaction', 'data-fkey': `${scope}:add:${msg.ts}`,
        'aria-label': 'Add reaction', title: 'Add reaction', 'aria-haspopup': 'true',
        'aria-expanded': open ? 'true' : 'false',
      }, h('span', {class: 'add-icon', 'aria-hidden': 'true'}, '☺'), h('span', {class: 'plus', 'aria-hidden': 'true'}, '+')));
    foot.append(row);
    if (open) menu = reactionMenu(msg, scope);
    if (messageShortcuts().length) {  // the app's message shortcuts, in "More actions"
      const more = !!S.more && S.more.scope === scope && S.more.ts === msg.ts;
      row.append(h('button', {
        type: 'button', class: 'chip more-actions', 'data-testid': 'more-actions', 'data-act': 'more',
        'data-ts': msg.ts, 'data-scope': scope, 'data-fkey': `${scope}:more:${msg.ts}`,
        'aria-label': 'More actions', title: 'More actions', 'aria-haspopup': 'menu',
        'aria-expanded': more ? 'true' : 'false',
      }, h('span', {'aria-hidden': 'true'}, '⋯')));
      if (more) menu = moreMenu(msg, scope);
    }
  }

  if (scope === 'channel' && !msg.ephemeral) {
    const replies = Array.isArray(msg.replies) ? msg.replies : [];
    const n = replies.length;
    const label = n ? `${n} ${n === 1 ? 'reply' : 'replies'}` : 'Reply';
    const last = n ? toDate(replies[n - 1].time, replies[n - 1].ts) : null;
    foot.append(h('div', {class: 'thread-row'},
      h('button', {
        type: 'button', class: `thread-button${n ? ' has-replies' : ''}`, 'data-testid': 'open-thread',
        'data-ts': msg.ts, 'data-act': 'open-thread', 'data-fkey': `channel:thread:${msg.ts}`,
        'aria-label': n ? `${label}, open thread` : 'Reply in thread',
        'aria-expanded': S.thread === msg.ts ? 'true' : 'false', 'aria-controls': 'thread',
      }, label),
      last ? h('span', {class: 'last-reply'}, `Last reply ${stamp(last, new Date(), zone())}`) : null));
  }
  if (foot.childElementCount) body.append(foot);
  if (menu) body.append(menu);
  if (isRoot) {
    const n = (msg.replies || []).length;
    body.append(h('div', {class: 'thread-divider'}, n ? `${n} ${n === 1 ? 'reply' : 'replies'}` : 'No replies yet'));
  }
  li.append(body);
  return li;
}

// ------------------------------------------------------------------ rendering: scroll

export const atBottom = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 48;

export function keepBottoms() {
  if (S.stick.channel) el.messages.scrollTop = el.messages.scrollHeight;
  if (S.thread && S.stick.thread) el.threadMessages.scrollTop = el.threadMessages.scrollHeight;
}
