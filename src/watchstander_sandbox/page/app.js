// Watchstander sandbox page: a small Slack-like view of the sandbox world.
// Plain ES2020, no dependencies. Talks to the sandbox server's /api/* endpoints.
'use strict';

(() => {
  // ------------------------------------------------------------------ constants

  /** The reactions offered in the "add reaction" menu, in menu order. */
  const REACTIONS = [
    ['eyes', '👀'],
    ['white_check_mark', '✅'],
    ['bug', '🐛'],
    ['coffin', '⚰️'],
    ['evergreen_tree', '🌲'],
    ['necktie', '👔'],
    ['fire_engine', '🚒'],
    ['vhs', '📼'],
    ['robot_face', '🤖'],
    ['documentation', '📄'],
  ];

  /** :name: -> emoji, for text and reaction chips. Unknown names stay as :name:. */
  const EMOJI = new Map([
    ...REACTIONS,
    ['fire', '🔥'], ['rotating_light', '🚨'], ['warning', '⚠️'], ['sunny', '☀️'],
    ['bar_chart', '📊'], ['bell', '🔔'], ['pager', '📟'], ['memo', '📝'], ['pencil', '📝'],
    ['hourglass', '⌛'], ['hourglass_flowing_sand', '⏳'], ['large_orange_diamond', '🔶'],
    ['large_blue_diamond', '🔷'], ['small_orange_diamond', '🔸'], ['small_blue_diamond', '🔹'],
    ['triangular_flag_on_post', '🚩'], ['alarm_clock', '⏰'], ['mega', '📣'], ['loudspeaker', '📢'],
    ['repeat', '🔁'], ['leftwards_arrow_with_hook', '↩️'], ['handshake', '🤝'], ['clock3', '🕒'],
    ['heavy_check_mark', '✔️'], ['ballot_box_with_check', '☑️'], ['question', '❓'],
    ['grey_question', '❔'], ['exclamation', '❗'], ['heavy_exclamation_mark', '❗'], ['bangbang', '‼️'],
    ['x', '❌'], ['+1', '👍'], ['thumbsup', '👍'], ['-1', '👎'], ['thumbsdown', '👎'],
    ['tada', '🎉'], ['wave', '👋'], ['pray', '🙏'], ['raised_hands', '🙌'], ['clap', '👏'],
    ['ok_hand', '👌'], ['muscle', '💪'], ['heart', '❤️'], ['smile', '😄'], ['smiley', '😃'],
    ['slightly_smiling_face', '🙂'], ['thinking_face', '🤔'], ['sweat_smile', '😅'], ['joy', '😂'],
    ['sleeping', '😴'], ['zzz', '💤'], ['see_no_evil', '🙈'], ['crossed_fingers', '🤞'],
    ['rocket', '🚀'], ['sparkles', '✨'], ['zap', '⚡'], ['boom', '💥'], ['sos', '🆘'],
    ['no_entry', '⛔'], ['no_entry_sign', '🚫'], ['construction', '🚧'], ['lock', '🔒'],
    ['unlock', '🔓'], ['key', '🔑'], ['link', '🔗'], ['mag', '🔍'], ['bulb', '💡'], ['books', '📚'],
    ['clipboard', '📋'], ['pushpin', '📌'], ['calendar', '📅'], ['date', '📅'],
    ['spiral_calendar_pad', '🗓️'], ['chart_with_upwards_trend', '📈'],
    ['chart_with_downwards_trend', '📉'], ['hammer_and_wrench', '🛠️'], ['wrench', '🔧'],
    ['gear', '⚙️'], ['speech_balloon', '💬'], ['email', '✉️'], ['envelope', '✉️'],
    ['telephone_receiver', '📞'], ['phone', '☎️'], ['information_source', 'ℹ️'],
    ['red_circle', '🔴'], ['large_green_circle', '🟢'], ['large_yellow_circle', '🟡'],
    ['white_circle', '⚪'], ['100', '💯'], ['coffee', '☕'], ['point_right', '👉'],
    ['arrow_right', '➡️'], ['stopwatch', '⏱️'], ['timer_clock', '⏲️'], ['watch', '⌚'],
    ['skull', '💀'], ['ghost', '👻'], ['ambulance', '🚑'], ['police_car', '🚓'], ['package', '📦'],
    ['inbox_tray', '📥'], ['outbox_tray', '📤'], ['scroll', '📜'], ['shield', '🛡️'],
    ['page_facing_up', '📄'], ['page_with_curl', '📃'], ['bookmark', '🔖'], ['label', '🏷️'],
    ['star', '⭐'], ['trophy', '🏆'], ['checkered_flag', '🏁'], ['traffic_light', '🚥'],
    ['vertical_traffic_light', '🚦'], ['arrows_counterclockwise', '🔄'], ['recycle', '♻️'],
    ['busts_in_silhouette', '👥'], ['bust_in_silhouette', '👤'], ['computer', '💻'],
    ['floppy_disk', '💾'], ['camera', '📷'], ['sun_with_face', '🌞'], ['crescent_moon', '🌙'],
    ['palm_tree', '🌴'], ['house', '🏠'], ['heavy_plus_sign', '➕'], ['heavy_minus_sign', '➖'],
  ]);

  const WHO_KEY = 'watchstander_sandbox.who';
  const POLL_MS = 2000;
  const IMAGE_RE = /\.(png|jpe?g|gif|webp|svg|bmp|avif)(\?.*)?$/i;

  // ------------------------------------------------------------------ state

  const S = {
    data: null,        // last /api/state answer
    me: readSaved(),   // chosen person id
    thread: null,      // ts of the open thread's root, or null
    menu: null,        // {scope, ts} of the open reaction menu, or null
    stick: {channel: true, thread: true},  // keep the list scrolled to the bottom
    firstRender: true,
    loadError: false,
    sending: {channel: false, thread: false},
  };

  const $ = (id) => document.getElementById(id);
  let el = {};

  // ------------------------------------------------------------------ helpers

  function readSaved() {
    try { return localStorage.getItem(WHO_KEY); } catch (_) { return null; }
  }
  function save(id) {
    try { localStorage.setItem(WHO_KEY, id); } catch (_) { /* private mode */ }
  }

  const ESC = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
  /** Escape text for HTML (element content and quoted attribute values). */
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
  /** Undo Slack's own escaping of &, < and > (in one pass, so "&amp;lt;" stays "&lt;"). */
  const unslack = (s) => String(s).replace(/&(lt|gt|amp);/g, (_, e) => ({lt: '<', gt: '>', amp: '&'})[e]);

  /** Create an element. attrs: class, text, data-*, aria-*, other attributes; children: nodes or strings. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  /** Only same-origin paths and http(s) links are followed; anything else becomes "#". */
  function safeUrl(u) {
    const s = String(u || '').trim();
    if (/^https?:\/\//i.test(s) || /^mailto:/i.test(s)) return s;
    if (/^\/(?!\/)/.test(s)) return s;
    return '#';
  }

  const pad = (n) => String(n).padStart(2, '0');

  function toDate(iso, ts) {
    let d = iso ? new Date(iso) : null;
    if (!d || Number.isNaN(d.getTime())) d = ts ? new Date(parseFloat(ts) * 1000) : null;
    return d && !Number.isNaN(d.getTime()) ? d : null;
  }
  const hhmm = (d) => (d ? `${pad(d.getHours())}:${pad(d.getMinutes())}` : '');
  const hhmmss = (d) => (d ? `${hhmm(d)}:${pad(d.getSeconds())}` : '');
  const longDate = (d) => (d ? d.toLocaleString(undefined, {dateStyle: 'full', timeStyle: 'medium'}) : '');

  function timeEl(iso, ts, withSeconds) {
    const d = toDate(iso, ts);
    if (!d) return null;
    return h('time', {class: 'time', datetime: d.toISOString(), title: longDate(d)},
      withSeconds ? hhmmss(d) : hhmm(d));
  }

  function hashIndex(s, n) {
    let x = 0;
    for (const c of String(s)) x = (x * 31 + c.codePointAt(0)) >>> 0;
    return x % n;
  }

  const people = () => (S.data && Array.isArray(S.data.people) ? S.data.people : []);
  const person = (id) => people().find((p) => p.id === id) || null;
  const bot = () => (S.data && S.data.bot) || {id: '', name: 'watchstander'};
  const channel = () => (S.data && S.data.channel) || {id: '', name: 'support'};
  const groups = () => (S.data && Array.isArray(S.data.groups) ? S.data.groups : []);
  const messages = () => (S.data && Array.isArray(S.data.messages) ? S.data.messages : []);

  function findMessage(ts) {
    for (const m of messages()) {
      if (m.ts === ts) return m;
      for (const r of m.replies || []) if (r.ts === ts) return r;
    }
    return null;
  }

  function displayName(id) {
    const p = person(id);
    if (p) return p.name;
    if (id && id === bot().id) return bot().name;
    return null;
  }

  // ------------------------------------------------------------------ mrkdwn

  const TOKEN_RE = /<([^<>\n]+)>/g;

  /** One <...> control sequence -> {text: plain display text, html: safe markup}. */
  function token(inner) {
    const bar = inner.indexOf('|');
    const head = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? unslack(inner.slice(bar + 1)) : '';
    const mention = (text, cls, attrs = '') => ({text, html: `<span class="${cls}"${attrs}>${esc(text)}</span>`});

    if (head.startsWith('@')) {
      const id = head.slice(1);
      const name = displayName(id) || (label ? label.replace(/^@/, '') : id);
      const me = id === S.me ? ' mention-me' : '';
      return mention(`@${name}`, `mention${me}`, ` data-user="${esc(id)}"`);
    }
    if (head.startsWith('#')) {
      const id = head.slice(1);
      const name = label || (id === channel().id ? channel().name : id);
      return mention(`#${name}`, 'mention mention-channel');
    }
    if (head.startsWith('!')) {
      const cmd = head.slice(1);
      if (cmd.startsWith('subteam^')) {
        const gid = cmd.slice('subteam^'.length);
        const g = groups().find((x) => x.id === gid);
        const handle = g ? g.handle : (label ? label.replace(/^@/, '') : gid);
        return mention(`@${handle}`, 'mention mention-group', ` data-group="${esc(gid)}"`);
      }
      if (cmd === 'here' || cmd === 'channel' || cmd === 'everyone') {
        return mention(`@${cmd}`, 'mention mention-broadcast');
      }
      const text = label || cmd;
      return {text, html: esc(text)};
    }
    if (/^(https?:\/\/|mailto:)/i.test(head)) {
      const href = unslack(head);
      const text = label || href.replace(/^mailto:/i, '');
      return {text, html: `<a href="${esc(safeUrl(href))}" target="_blank" rel="noopener noreferrer">${esc(text)}</a>`};
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(head)) {  // another scheme: show, do not link
      const text = label || unslack(head);
      return {text, html: esc(text)};
    }
    const text = `<${unslack(inner)}>`;  // not a control sequence: show it as typed
    return {text, html: esc(text)};
  }

  /** Raw Slack text -> plain display text (for code, where nothing is formatted). */
  function plain(raw) {
    let out = '';
    let last = 0;
    for (const m of raw.matchAll(TOKEN_RE)) {
      out += unslack(raw.slice(last, m.index)) + token(m[1]).text;
      last = m.index + m[0].length;
    }
    return out + unslack(raw.slice(last));
  }

  /** One line of raw Slack text -> safe HTML with mentions, links, emoji and *bold* _italic_ ~strike~ `code`. */
  function inline(raw) {
    const slots = [];
    const put = (html) => `\uE000${slots.push(html) - 1}\uE001`;
    let s = raw.replace(/[\uE000\uE001]/g, '');

    s = s.replace(/`([^`\n]+)`/g, (_, c) => put(`<code>${esc(plain(c))}</code>`));
    s = s.replace(TOKEN_RE, (_, inner) => put(token(inner).html));
    // Markdown-style links and bare URLs, in case the text was not converted to Slack's form.
    s = s.replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, (_, t, u) =>
      put(`<a href="${esc(safeUrl(unslack(u)))}" target="_blank" rel="noopener noreferrer">${esc(unslack(t))}</a>`));
    s = s.replace(/\bhttps?:\/\/[^\s<>\uE000\uE001]+/g, (url) => {
      const m = /[.,!?:;)\]'"]+$/.exec(url);
      const tail = m ? m[0] : '';
      const bare = unslack(tail ? url.slice(0, -tail.length) : url);
      return put(`<a href="${esc(safeUrl(bare))}" target="_blank" rel="noopener noreferrer">${esc(bare)}</a>`) + tail;
    });

    s = esc(unslack(s));

    s = s.replace(/:([a-z0-9_+'-]+):/g, (all, name) => {
      const e = EMOJI.get(name);
      return e ? put(`<span class="emoji" role="img" aria-label="${esc(name)}" title=":${esc(name)}:">${e}</span>`) : all;
    });

    s = s.replace(/(?<![\w*])\*\*(?=\S)([^*\n]*?\S)\*\*(?![\w*])/g, '<strong>$1</strong>');
    s = s.replace(/(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '<strong>$1</strong>');
    s = s.replace(/(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g, '<em>$1</em>');
    s = s.replace(/(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, '<del>$1</del>');

    for (let i = 0; i < 3 && s.includes('\uE000'); i++) {
      s = s.replace(/\uE000(\d+)\uE001/g, (_, n) => slots[Number(n)] ?? '');
    }
    return s;
  }

  /** Lines of raw text (no ``` blocks) -> HTML with "> " quotes and line breaks. */
  function blocks(text) {
    const items = [];  // {block: bool, html}
    const lines = text.split('\n');
    let quote = null;
    const flush = () => {
      if (quote) items.push({block: true, html: `<blockquote>${quote.map(inline).join('<br>')}</blockquote>`});
      quote = null;
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const rest = /^(?:&gt;|>){3}\s?(.*)$/.exec(line);
      if (rest) {  // >>> quotes everything after it
        flush();
        quote = [rest[1], ...lines.slice(i + 1)];
        break;
      }
      const q = /^(?:&gt;|>)\s?(.*)$/.exec(line);
      if (q) {
        (quote = quote || []).push(q[1]);
      } else {
        flush();
        items.push({block: false, html: inline(line)});
      }
    }
    flush();
    let out = '';
    items.forEach((it, i) => {
      if (i > 0 && !it.block && !items[i - 1].block) out += '<br>';
      out += it.html;
    });
    return out;
  }

  /** Raw Slack mrkdwn -> safe HTML. Everything from the text is escaped before any markup is added. */
  function mrkdwn(raw) {
    const text = String(raw ?? '').replace(/\r\n?/g, '\n');
    const parts = text.split('```');
    if (parts.length % 2 === 0) {  // an unclosed fence is literal text
      const tail = parts.pop();
      parts[parts.length - 1] += '```' + tail;
    }
    let out = '';
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        const code = part.replace(/^\n/, '').replace(/\n$/, '');
        out += `<pre class="pre">${esc(plain(code))}</pre>`;
      } else {
        let t = part;
        if (i > 0) t = t.replace(/^\n/, '');
        if (i < parts.length - 1) t = t.replace(/\n$/, '');
        if (t) out += blocks(t);
      }
    });
    return out;
  }

  // ------------------------------------------------------------------ rendering: messages

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

  function messageEl(msg, scope, isRoot) {
    const author = authorOf(msg);
    const li = h('li', {
      class: `msg${author.isBot ? ' msg-bot' : ''}${isRoot ? ' thread-root' : ''}` +
        (scope === 'channel' && S.thread === msg.ts ? ' msg-active' : ''),
      'data-testid': SCOPE_TESTID[scope], 'data-ts': msg.ts,
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

    const text = h('div', {class: 'text'});
    text.innerHTML = mrkdwn(msg.text);  // mrkdwn() escapes every character of the text first
    body.append(text);

    const files = filesEl(msg);
    if (files) body.append(files);

    const foot = h('div', {class: 'msg-foot'});
    let menu = null;
    const reactions = Array.isArray(msg.reactions) ? msg.reactions.filter((r) => r && r.name) : [];
    if (scope === 'dm') {
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
    }

    if (scope === 'channel') {
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
        last ? h('span', {class: 'last-reply'}, `Last reply ${hhmm(last)}`) : null));
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

  /**
   * Bring container's children in line with items, reusing the element of every item whose
   * signature did not change (so focus, open <details> and scroll stay put).
   */
  function reconcile(container, items, keyOf, sigOf, build) {
    const cache = container._cache || (container._cache = new Map());
    const next = new Map();
    const wanted = [];
    for (const item of items) {
      const key = keyOf(item);
      const sig = sigOf(item);
      let entry = cache.get(key);
      if (!entry || entry.sig !== sig) entry = {sig, el: build(item, entry ? entry.el : null)};
      next.set(key, entry);
      wanted.push(entry.el);
    }
    container._cache = next;
    const keep = new Set(wanted);
    for (const child of [...container.children]) if (!keep.has(child)) child.remove();
    wanted.forEach((node, i) => {
      const cur = container.children[i];
      if (cur !== node) container.insertBefore(node, cur || null);
    });
  }

  function contextSig() {
    const d = S.data || {};
    return JSON.stringify([S.me, d.people, d.bot, d.groups, d.channel]);
  }

  function msgSig(ctx, scope, msg, extra) {
    const menuHere = !!S.menu && S.menu.scope === scope && S.menu.ts === msg.ts;
    return `${ctx}|${scope}|${menuHere}|${extra || ''}|${JSON.stringify(msg)}`;
  }

  // ------------------------------------------------------------------ rendering: scroll

  const atBottom = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 48;

  function keepBottoms() {
    if (S.stick.channel) el.messages.scrollTop = el.messages.scrollHeight;
    if (S.thread && S.stick.thread) el.threadMessages.scrollTop = el.threadMessages.scrollHeight;
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
    reconcile(box, messages(), (m) => m.ts,
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
    const items = [{m: root, root: true}, ...(root.replies || []).map((m) => ({m, root: false}))];
    reconcile(box, items, (it) => it.m.ts,
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
    const sig = JSON.stringify(list);
    if (el.pdList._sig === sig) return;
    el.pdList._sig = sig;
    el.pdList.replaceChildren(...list.map((ev) => {
      const action = String(ev.action || 'event');
      const d = toDate(ev.at);
      return h('li', {class: `pd-event pd-${action.replace(/[^a-z_-]/gi, '')}`, 'data-testid': 'pd-event', 'data-action': action},
        h('div', {class: 'pd-head'},
          h('span', {class: 'pd-action'}, action),
          ev.severity ? h('span', {class: 'pd-severity'}, ev.severity) : null,
          d ? h('time', {class: 'time', datetime: d.toISOString(), title: longDate(d)}, hhmmss(d)) : null),
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
      return h('li', {class: `gh-issue gh-${state}`, 'data-testid': 'gh-issue', 'data-number': issue.number, 'data-state': state},
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

  function render() {
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
    S.firstRender = false;

    // A rebuilt element loses focus: give it back to its successor.
    if (fkey && (!document.activeElement || document.activeElement === document.body)) {
      const again = document.querySelector(`[data-fkey="${CSS.escape(fkey)}"]`);
      if (again) again.focus({preventScroll: true});
    }
  }

  // ------------------------------------------------------------------ status line

  function setStatus(text, kind) {
    el.status.textContent = text || '';
    el.status.classList.toggle('error', kind === 'error' && !!text);
    el.status.classList.toggle('info', kind !== 'error' && !!text);
  }

  function setConnection(mode) {
    el.connection.dataset.mode = mode;
    el.connection.textContent = {live: 'live', polling: 'polling', connecting: 'connecting…', offline: 'offline'}[mode] || mode;
    el.connection.title = mode === 'live' ? 'Updates arrive as they happen'
      : mode === 'polling' ? `Checking for updates every ${POLL_MS / 1000} s` : '';
  }

  // ------------------------------------------------------------------ server

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

  async function post(path, body) {
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
  function refresh() {
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

  function connect() {
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

  // ------------------------------------------------------------------ actions

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

  function closeThread() {
    const ts = S.thread;
    S.thread = null;
    if (S.menu && S.menu.scope === 'thread') S.menu = null;
    render();
    if (ts) focusKey(`channel:thread:${ts}`);
  }

  const scopeOf = (node) => (node.closest('#thread') ? 'thread' : node.closest('#dm-list') ? 'dm' : 'channel');

  function onClick(ev) {
    const target = ev.target instanceof Element ? ev.target : null;
    if (!target) return;
    const button = target.closest('[data-act]');
    if (S.menu && !target.closest('.reaction-menu') && !(button && button.dataset.act === 'add-reaction')) {
      closeMenu(false);
    }
    if (!button || button.disabled) return;
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
    } else if (act === 'close-issue') {
      closeIssue(button.dataset.number, button);
    }
  }

  function onKeydown(ev) {
    if (ev.key === 'Escape' && S.menu) {
      ev.preventDefault();
      closeMenu(true);
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

  function wireComposer(form, ta, scope) {
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

  // ------------------------------------------------------------------ start

  function start() {
    el = {
      who: $('who'), teamName: $('team-name'), connection: $('connection'), status: $('status'),
      layout: $('layout'), channelName: $('channel-name'), channelMeta: $('channel-meta'),
      messages: $('messages'), messagesEmpty: $('messages-empty'),
      composer: $('composer'), composerLabel: $('composer-label'), send: $('send'),
      thread: $('thread'), threadMeta: $('thread-meta'), threadMessages: $('thread-messages'),
      threadComposer: $('thread-composer'), threadSend: $('thread-send'), threadClose: $('thread-close'),
      dmsTo: $('dms-to'), dmList: $('dm-list'), dmEmpty: $('dm-empty'),
      pdList: $('pd-list'), pdEmpty: $('pd-empty'), ghList: $('gh-list'), ghEmpty: $('gh-empty'),
    };

    el.who.addEventListener('change', () => {
      S.me = el.who.value;
      save(S.me);
      setStatus('');
      render();
    });
    wireComposer($('composer-form'), el.composer, 'channel');
    wireComposer($('thread-form'), el.threadComposer, 'thread');
    el.threadClose.addEventListener('click', closeThread);
    el.messages.addEventListener('scroll', () => { S.stick.channel = atBottom(el.messages); }, {passive: true});
    el.threadMessages.addEventListener('scroll', () => { S.stick.thread = atBottom(el.threadMessages); }, {passive: true});
    window.addEventListener('resize', keepBottoms);
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKeydown);

    setConnection('connecting');
    refresh();
    connect();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();

  // For debugging in the console: the renderer alone.
  window.watchstanderSandbox = {mrkdwn, state: () => S};
})();
