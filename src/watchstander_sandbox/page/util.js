// Small helpers: building elements and keeping them in line with a list, escaping text and
// links, times (in the bot's zone).

import {longStamp, stamp, zone} from './clock.js';

export const $ = (id) => document.getElementById(id);

const ESC = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
/** Escape text for HTML (element content and quoted attribute values). */
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
/** Undo Slack's own escaping of &, < and > (in one pass, so "&amp;lt;" stays "&lt;"). */
export const unslack = (s) => String(s).replace(/&(lt|gt|amp);/g, (_, e) => ({lt: '<', gt: '>', amp: '&'})[e]);

/** Create an element. attrs: class, text, data-*, aria-*, other attributes; children: nodes or strings. */
export function h(tag, attrs, ...children) {
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

/**
 * Bring container's children in line with items, reusing the element of every item whose
 * signature did not change (so focus, open <details> and scroll stay put).
 */
export function reconcile(container, items, keyOf, sigOf, build) {
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

/** Only same-origin paths and http(s) links are followed; anything else becomes "#". */
export function safeUrl(u) {
  const s = String(u || '').trim();
  if (/^https?:\/\//i.test(s) || /^mailto:/i.test(s)) return s;
  if (/^\/(?!\/)/.test(s)) return s;
  return '#';
}

export function toDate(iso, ts) {
  let d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) d = ts ? new Date(parseFloat(ts) * 1000) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}
/** A <time> as Slack shows one ("14:05", "Mon 14:05", "16 Nov 14:05"), in the bot's zone. */
export function timeEl(iso, ts, withSeconds) {
  const d = toDate(iso, ts);
  if (!d) return null;
  return h('time', {class: 'time', datetime: d.toISOString(), title: longStamp(d, zone())},
    stamp(d, new Date(), zone(), withSeconds));
}

export function hashIndex(s, n) {
  let x = 0;
  for (const c of String(s)) x = (x * 31 + c.codePointAt(0)) >>> 0;
  return x % n;
}
