// Watchstander sandbox page: a small Slack-like view of the sandbox world.
// Plain ES2020 modules (strict by default), no dependencies, no build step. Talks to the
// sandbox server's /api/* endpoints. This module starts the page.

import {closeThread, onChange, onClick, onKeydown, wireComposer} from './actions.js';
import {connect, refresh, setConnection} from './api.js';
import {atBottom, keepBottoms} from './message.js';
import {renderModal, wireModal} from './modal.js';
import {mrkdwn} from './mrkdwn.js';
import {renderTabs, showTab} from './shortcuts.js';
import {S, el, save} from './state.js';
import {$} from './util.js';
import {alsoRender, render, setStatus} from './views.js';

function start() {
  Object.assign(el, {
    who: $('who'), teamName: $('team-name'), connection: $('connection'), status: $('status'),
    layout: $('layout'), channelName: $('channel-name'), channelMeta: $('channel-meta'),
    messages: $('messages'), messagesEmpty: $('messages-empty'),
    composer: $('composer'), composerLabel: $('composer-label'), send: $('send'),
    thread: $('thread'), threadMeta: $('thread-meta'), threadMessages: $('thread-messages'),
    threadComposer: $('thread-composer'), threadSend: $('thread-send'), threadClose: $('thread-close'),
    dmsTo: $('dms-to'), dmList: $('dm-list'), dmEmpty: $('dm-empty'),
    pdList: $('pd-list'), pdEmpty: $('pd-empty'), ghList: $('gh-list'), ghEmpty: $('gh-empty'),
    composerForm: $('composer-form'), shortcuts: $('shortcuts'), tabs: $('tabs'), home: $('home'),
    modalBackdrop: $('modal-backdrop'), modal: $('modal'), modalTitle: $('modal-title'),
    modalForm: $('modal-form'), modalBody: $('modal-body'), modalSubmit: $('modal-submit'),
    modalCancel: $('modal-cancel'),
  });
  alsoRender(renderTabs);
  alsoRender(renderModal);
  wireModal();

  el.who.addEventListener('change', () => {
    S.me = el.who.value;
    save(S.me);
    setStatus('');
    render();
    if (S.tab === 'home') showTab('home');  // the Home tab, opened as the other person
  });
  wireComposer($('composer-form'), el.composer, 'channel');
  wireComposer($('thread-form'), el.threadComposer, 'thread');
  el.threadClose.addEventListener('click', closeThread);
  el.messages.addEventListener('scroll', () => { S.stick.channel = atBottom(el.messages); }, {passive: true});
  el.threadMessages.addEventListener('scroll', () => { S.stick.thread = atBottom(el.threadMessages); }, {passive: true});
  window.addEventListener('resize', keepBottoms);
  document.addEventListener('click', onClick);
  document.addEventListener('keydown', onKeydown);
  document.addEventListener('change', onChange);

  setConnection('connecting');
  refresh();
  connect();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

// For debugging in the console: the renderer alone.
window.watchstanderSandbox = {mrkdwn, state: () => S};
