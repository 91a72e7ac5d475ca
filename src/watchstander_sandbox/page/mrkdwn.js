// Slack's mrkdwn -> safe HTML: mentions, links, emoji, *bold* _italic_ ~strike~, `code`,
// ``` blocks and > quotes. Everything from the text is escaped before any markup is added.
// The bot's links to #support's threads and to the sandbox's GitHub issues open in the page.

import {EMOJI} from './emoji.js';
import {linkTarget} from './links.js';
import {S, channel, displayName, groups} from './state.js';
import {esc, safeUrl, unslack} from './util.js';

/** A link to `href` saying `text`: in the page when it leads to a message or issue here. */
function anchor(href, text) {
  const d = S.data || {};
  const to = linkTarget(href, d.workspace_url, channel().id, d.github);
  if (to && to.kind === 'message') {
    const thread = to.threadTs ? ` data-thread="${esc(to.threadTs)}"` : '';
    return `<a href="#msg-${esc(to.ts)}" class="link-in-page" data-act="open-link" data-ts="${esc(to.ts)}"` +
      `${thread} title="Open the thread">${esc(text)}</a>`;
  }
  if (to && to.kind === 'issue') {
    const n = esc(String(to.number));
    return `<a href="#issue-${n}" class="link-in-page" data-act="open-link" data-number="${n}"` +
      ` title="Issue #${n} in the GitHub panel">${esc(text)}</a>`;
  }
  return `<a href="${esc(safeUrl(href))}" target="_blank" rel="noopener noreferrer">${esc(text)}</a>`;
}

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
    return {text, html: anchor(href, text)};
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
    put(anchor(unslack(u), unslack(t))));
  s = s.replace(/\bhttps?:\/\/[^\s<>\uE000\uE001]+/g, (url) => {
    const m = /[.,!?:;)\]'"]+$/.exec(url);
    const tail = m ? m[0] : '';
    const bare = unslack(tail ? url.slice(0, -tail.length) : url);
    return put(anchor(bare, bare)) + tail;
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
export function mrkdwn(raw) {
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
