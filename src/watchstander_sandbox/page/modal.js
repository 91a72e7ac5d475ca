// The modal the app opened for you (the top of your view stack): its blocks, its inputs
// (plain_text_input, multiline too; static_select; radio_buttons), Submit and Cancel. What
// you type stays put while the app updates the view (an input keeps its element while its
// block_id, action_id and type stay, as Slack keeps its value); typing into an input that
// dispatches actions tells the app (debounced, or on Enter); errors are shown by field.

import {post, refresh} from './api.js';
import {blockEl, plainOf, textEl} from './blocks.js';
import {S, el, setStatus} from './state.js';
import {h} from './util.js';

const TYPING_MS = 350;  // quiet time before the typed text goes to the app
const REQUIRED = 'Please fill out this field.';

/** Your open modals, the top one last. */
export function myViews() {
  const all = (S.data && S.data.views) || {};
  return S.me && Array.isArray(all[S.me]) ? all[S.me] : [];
}
const topView = () => myViews().slice(-1)[0] || null;

const drafts = new Map();  // `${view id}:${action_id}` -> what you typed or chose
const timers = new Map();  // `${view id}:${action_id}` -> the pending type_into
let errors = {view: null, by: {}};  // the errors shown, by block_id, for one view

// ------------------------------------------------------------------ drawing

function inputKey(b) {
  const e = b.element || {};
  return `input:${b.block_id}:${e.type}:${e.action_id}:${!!e.multiline}`;
}

function controlEl(view, b) {
  const e = b.element || {};
  const key = `${view.id}:${e.action_id}`;
  const id = `f-${String(b.block_id || e.action_id).replace(/[^\w-]/g, '_')}`;
  const common = {id, 'data-action': String(e.action_id || ''), 'data-block': String(b.block_id || ''),
    'data-fkey': `view:${key}`, 'aria-describedby': `${id}-hint ${id}-error`};
  if (e.type === 'plain_text_input') {
    const triggers = (e.dispatch_action_config && e.dispatch_action_config.trigger_actions_on) || ['on_enter_pressed'];
    const dispatch = b.dispatch_action ? triggers.join(' ') : null;
    const control = h(e.multiline ? 'textarea' : 'input', {...common, class: 'field-input', type: e.multiline ? null : 'text',
      rows: e.multiline ? 3 : null, placeholder: plainOf(e.placeholder) || null,
      maxlength: e.max_length || null, 'data-dispatch': dispatch, 'data-testid': 'field-input'});
    control.value = drafts.has(key) ? drafts.get(key) : String(e.initial_value || '');
    return control;
  }
  const chosen = drafts.has(key) ? drafts.get(key) : (e.initial_option ? e.initial_option.value : '');
  const options = Array.isArray(e.options) ? e.options : [];
  if (b.dispatch_action) common['data-chosen'] = 'dispatch';  // a choice goes to the app at once
  if (e.type === 'static_select') {
    return h('select', {...common, class: 'bk-select field-select', 'data-testid': 'field-select'},
      h('option', {value: '', selected: !chosen}, plainOf(e.placeholder) || 'Choose…'),
      options.map((o) => h('option', {value: String(o.value), selected: o.value === chosen}, plainOf(o.text))));
  }
  if (e.type === 'radio_buttons') {
    return h('div', {...common, class: 'field-radios', role: 'radiogroup', 'data-testid': 'field-radios'},
      options.map((o, i) => h('label', {class: 'field-radio'},
        h('input', {type: 'radio', name: key, value: String(o.value), checked: o.value === chosen,
          id: `${id}-${i}`, 'data-testid': 'field-radio'}),
        h('span', {class: 'field-radio-text'}, h('span', {class: 'field-radio-name'}, plainOf(o.text)),
          o.description ? textEl(o.description, 'span', 'field-radio-line') : null))));
  }
  return h('span', {class: 'bk-unknown'}, `[${String(e.type || 'input')}]`);
}

/** An input block; `old`: its element from before, kept with its control (so your text stays). */
function inputEl(view, b, old) {
  const id = `f-${String(b.block_id || (b.element || {}).action_id).replace(/[^\w-]/g, '_')}`;
  const control = old ? old.querySelector('.field-control > *') : controlEl(view, b);
  const label = h('label', {class: 'field-label', for: id}, plainOf(b.label) || '',
    b.optional ? h('span', {class: 'field-optional'}, ' (optional)') : null);
  const wrap = old || h('div', {class: 'field', 'data-testid': 'field', 'data-block': String(b.block_id || '')},
    label, h('div', {class: 'field-control'}, control), h('p', {class: 'field-hint', id: `${id}-hint`}),
    h('p', {class: 'field-error', id: `${id}-error`, 'data-testid': 'field-error', role: 'alert'}));
  if (old) wrap.replaceChild(label, wrap.querySelector('.field-label'));
  wrap.querySelector('.field-hint').textContent = plainOf(b.hint);
  return wrap;
}

function showErrors(view) {
  // those the page said or the app answered; after a reload, those the view holds
  const by = errors.view === view.id ? errors.by : (view.errors || {});
  for (const field of el.modalBody.querySelectorAll('.field')) {
    const said = by[field.dataset.block] || '';
    field.querySelector('.field-error').textContent = said;
    field.classList.toggle('has-error', !!said);
    const control = field.querySelector('.field-control > *');
    if (control) control.setAttribute('aria-invalid', said ? 'true' : 'false');
  }
}

export function renderModal() {
  const view = topView();
  el.modalBackdrop.hidden = !view;
  if (!view) {
    el.modal.dataset.view = '';
    return;
  }
  const fresh = el.modal.dataset.view !== view.id;
  el.modal.dataset.view = view.id;
  el.modal.dataset.callback = String(view.callback_id || '');
  el.modalTitle.textContent = plainOf(view.title) || 'App';
  el.modalSubmit.hidden = !view.submit;
  el.modalSubmit.textContent = plainOf(view.submit) || 'Submit';
  el.modalCancel.textContent = plainOf(view.close) || 'Cancel';
  const on = {act: 'view-press', view: view.id};
  const blocks = (Array.isArray(view.blocks) ? view.blocks : []).filter((b) => b && typeof b === 'object');
  // Inputs keep their element (and what you typed); other blocks are redrawn when they change
  const before = new Map([...el.modalBody.children].map((c) => [c._key, c]));
  const wanted = blocks.map((b, i) => {
    const key = fresh ? null : (b.type === 'input' ? inputKey(b) : `${b.block_id || i}:${JSON.stringify(b)}`);
    const old = key && before.get(key);
    const node = b.type === 'input' ? inputEl(view, b, old) : (old || blockEl(b, on, `view:${view.id}`));
    if (node) node._key = b.type === 'input' ? inputKey(b) : `${b.block_id || i}:${JSON.stringify(b)}`;
    return node;
  }).filter(Boolean);
  const keep = new Set(wanted);
  for (const child of [...el.modalBody.children]) if (!keep.has(child)) child.remove();
  wanted.forEach((node, i) => {
    if (el.modalBody.children[i] !== node) el.modalBody.insertBefore(node, el.modalBody.children[i] || null);
  });
  showErrors(view);
  if (fresh) {
    const first = el.modalBody.querySelector('input, textarea, select, button');
    (first || el.modalCancel).focus({preventScroll: true});
  }
}

// ------------------------------------------------------------------ acting

function valueOf(control) {
  if (control.classList.contains('field-radios')) {
    const on = control.querySelector('input[type="radio"]:checked');
    return on ? on.value : '';
  }
  return control.value || '';
}

/** What you typed or chose, by action_id; and the required fields left empty, by block_id. */
function collect() {
  const values = {};
  const missing = {};
  const view = topView();
  for (const b of (view && Array.isArray(view.blocks) ? view.blocks : [])) {
    if (!b || b.type !== 'input' || !b.element) continue;
    const control = el.modalBody.querySelector(`.field[data-block="${CSS.escape(String(b.block_id || ''))}"] .field-control > *`);
    const value = control ? valueOf(control) : '';
    // a text as typed (even empty); a choice only when one was made (none is no option)
    if (value || b.element.type === 'plain_text_input') values[b.element.action_id] = value;
    if (!b.optional && !value.trim()) missing[b.block_id] = REQUIRED;
  }
  return {values, missing};
}

async function submitView() {
  const view = topView();
  if (!view || el.modalSubmit.disabled) return;
  const {values, missing} = collect();
  if (Object.keys(missing).length) {  // as Slack's client: the app is not asked
    errors = {view: view.id, by: missing};
    showErrors(view);
    return;
  }
  el.modalSubmit.disabled = true;
  try {
    const {ack} = await post('/api/view/submit', {user: S.me, view_id: view.id, values});
    errors = ack && ack.response_action === 'errors' ? {view: view.id, by: ack.errors || {}} : {view: null, by: {}};
    if (errors.view) showErrors(view);
    setStatus('');
    await refresh();
  } catch (e) {
    setStatus(e.message, 'error');
  } finally {
    el.modalSubmit.disabled = false;
  }
}

async function closeView() {
  const view = topView();
  if (!view) return;
  try {
    await post('/api/view/close', {user: S.me, view_id: view.id});
    setStatus('');
    await refresh();
  } catch (e) {
    setStatus(e.message, 'error');
  }
}

function typed(control, now) {
  const view = topView();
  if (!view) return;
  const key = `${view.id}:${control.dataset.action}`;
  clearTimeout(timers.get(key));
  timers.delete(key);
  const send = () => post('/api/view/type', {user: S.me, view_id: view.id, action_id: control.dataset.action,
    text: control.value}).catch((e) => setStatus(e.message, 'error'));
  if (now) send();
  else timers.set(key, setTimeout(() => { timers.delete(key); send(); }, TYPING_MS));
}

async function pressInView(button) {
  button.disabled = true;
  try {
    await post('/api/view/press', {user: S.me, view_id: button.dataset.view, action_id: button.dataset.action,
      value: button.dataset.value || ''});
    setStatus('');
  } catch (e) {
    setStatus(e.message, 'error');
  } finally {
    button.disabled = false;
  }
}

/** Clicks the page's handler passes on: true when it was the modal's. */
export function modalClick(button) {
  const act = button.dataset.act;
  if (act === 'view-close') closeView();
  else if (act === 'view-press') pressInView(button);
  else return false;
  return true;
}

export function wireModal() {
  el.modalForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitView();
  });
  el.modalBody.addEventListener('input', (ev) => {
    const control = ev.target.closest('.field-control > *');
    const view = topView();
    if (!control || !view) return;
    drafts.set(`${view.id}:${control.dataset.action}`, valueOf(control));
    if (errors.view === view.id && errors.by[control.dataset.block]) {
      delete errors.by[control.dataset.block];
      showErrors(view);
    }
    if ((control.dataset.dispatch || '').includes('on_character_entered')) typed(control, false);
  });
  el.modalBody.addEventListener('change', (ev) => {  // radios and selects (texts: on input)
    const control = ev.target.closest('.field-control > *');
    const view = topView();
    if (!control || !view || !control.matches('select, .field-radios')) return;
    const value = valueOf(control);
    drafts.set(`${view.id}:${control.dataset.action}`, value);
    if (control.dataset.chosen && value) {  // an input that dispatches actions: the app is told
      post('/api/view/press', {user: S.me, view_id: view.id, action_id: control.dataset.action, value})
        .catch((e) => setStatus(e.message, 'error'));
    }
  });
  el.modalBody.addEventListener('keydown', (ev) => {
    const control = ev.target;
    if (ev.key !== 'Enter' || !(control instanceof HTMLInputElement) || control.type !== 'text') return;
    ev.preventDefault();  // Enter in a one-line input does not submit the modal, as in Slack
    if ((control.dataset.dispatch || '').includes('on_enter_pressed')) typed(control, true);
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && topView() && !el.modalBackdrop.hidden) {
      ev.preventDefault();
      closeView();
    }
  });
}
