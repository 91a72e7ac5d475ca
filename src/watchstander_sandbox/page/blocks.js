// Block Kit as the page draws it in a message: section (text, fields, a button or menu
// accessory), header, context, divider and actions blocks (buttons with their primary or
// danger style, static_select menus). Every string from a block is escaped: mrkdwn text
// through mrkdwn(), plain_text as text nodes only.

import {mrkdwn} from './mrkdwn.js';
import {h} from './util.js';

/** A text object's words, whatever its type ('' when it is not one). */
export const plainOf = (obj) => (obj && typeof obj.text === 'string' ? obj.text : '');

/** A text object as an element: mrkdwn rendered (escaped first), plain_text as text. */
export function textEl(obj, tag = 'div', cls = 'text') {
  if (!obj || typeof obj.text !== 'string') return null;
  const node = h(tag, {class: cls});
  if (obj.type === 'mrkdwn') node.innerHTML = mrkdwn(obj.text);  // mrkdwn() escapes every character first
  else node.textContent = obj.text;
  return node;
}

const STYLES = new Set(['primary', 'danger']);

/**
 * A button. `on`: what pressing it does, as data-* attributes the page's click handler reads
 * ({act, ...}); the button's action_id and value are added.
 */
export function buttonEl(e, on, fkey) {
  const style = STYLES.has(e.style) ? ` bk-${e.style}` : '';
  return h('button', {
    type: 'button', class: `bk-button${style}`, 'data-testid': 'bk-button',
    'data-action': String(e.action_id || ''), 'data-value': String(e.value ?? ''),
    'data-style': STYLES.has(e.style) ? e.style : null,
    'data-fkey': fkey ? `${fkey}:${e.action_id}` : null,
    ...dataOf(on),
  }, plainOf(e.text) || 'Button');
}

/**
 * A static_select as a <select>: its placeholder first (shown, not choosable). Choosing does
 * what `on.act` says (as data-change: the change handler reads it, not the click handler).
 */
export function selectEl(e, on, fkey, chosen) {
  const options = Array.isArray(e.options) ? e.options : [];
  const picked = chosen ?? (e.initial_option ? e.initial_option.value : null);
  const select = h('select', {
    class: 'bk-select', 'data-testid': 'bk-select', 'data-action': String(e.action_id || ''),
    'aria-label': plainOf(e.placeholder) || 'Choose an option',
    'data-fkey': fkey ? `${fkey}:${e.action_id}` : null,
    ...dataOf({...on, act: null, change: on && on.act}),
  },
  h('option', {value: '', disabled: true, selected: picked == null}, plainOf(e.placeholder) || 'Choose…'),
  options.map((o) => h('option', {value: String(o.value ?? ''), selected: picked != null && o.value === picked},
    plainOf(o.text))));
  return select;
}

function dataOf(on) {
  const out = {};
  for (const [k, v] of Object.entries(on || {})) if (v !== null && v !== undefined) out[`data-${k}`] = String(v);
  return out;
}

/** One interactive element (button, static_select); anything else: a note saying what it is. */
export function elementEl(e, on, fkey) {
  if (!e || typeof e !== 'object') return null;
  if (e.type === 'button') return buttonEl(e, on, fkey);
  if (e.type === 'static_select') return selectEl(e, on, fkey);
  return h('span', {class: 'bk-unknown'}, `[${String(e.type || 'element')}]`);
}

/**
 * The blocks of a message as one element, or null when none can be drawn (the message's
 * text is shown then). `on`: the data-* attributes of its controls ({act, ts}).
 */
export function blocksEl(blocks, on, fkey) {
  const list = Array.isArray(blocks) ? blocks.filter((b) => b && typeof b === 'object') : [];
  const drawn = list.map((b) => blockEl(b, on, fkey)).filter(Boolean);
  return drawn.length ? h('div', {class: 'blocks', 'data-testid': 'blocks'}, drawn) : null;
}

/** One block as an element (null: a kind the page does not draw, e.g. an input: modal.js). */
export function blockEl(b, on, fkey) {
  const data = {'data-block': b.block_id ? String(b.block_id) : null, 'data-type': String(b.type || '')};
  if (b.type === 'section') {
    const fields = Array.isArray(b.fields) ? b.fields.map((f) => textEl(f, 'div', 'text bk-field')) : [];
    const accessory = b.accessory ? elementEl(b.accessory, on, fkey) : null;
    return h('div', {class: 'bk-section', ...data},
      h('div', {class: 'bk-section-main'}, textEl(b.text),
        fields.length ? h('div', {class: 'bk-fields'}, fields) : null),
      accessory ? h('div', {class: 'bk-accessory'}, accessory) : null);
  }
  if (b.type === 'header') return h('div', {class: 'bk-header', ...data}, textEl(b.text, 'strong', 'bk-header-text'));
  if (b.type === 'divider') return h('hr', {class: 'bk-divider', ...data});
  if (b.type === 'context') {
    const parts = (Array.isArray(b.elements) ? b.elements : [])
      .map((e) => (e && typeof e.text === 'string' ? textEl(e, 'span', 'text bk-context-part') : null));
    return h('div', {class: 'bk-context', ...data}, parts);
  }
  if (b.type === 'actions') {
    const elements = (Array.isArray(b.elements) ? b.elements : []).map((e) => elementEl(e, on, fkey));
    return h('div', {class: 'bk-actions', role: 'group', 'aria-label': 'Actions', 'data-testid': 'bk-actions', ...data},
      elements);
  }
  return null;
}
