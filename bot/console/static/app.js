// Console dos Encantadores. Plain ES module, no framework: state in one
// object, render functions that rebuild small parts of the page, and
// server-sent events that say what to fetch again. Every text from the
// server goes in with textContent (never innerHTML): customers write it.

const TZ = 'America/Sao_Paulo';

// narrow is a phone's screen: one column, the lists or one conversation
// (app.css has the same width). touch is a finger, not a mouse: Enter
// breaks lines there and the button sends, as on WhatsApp.
const narrow = matchMedia('(max-width: 760px)');
const touch = matchMedia('(pointer: coarse)');

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h builds an element: h('div.cls#id', {attr: v, onclick: fn}, child...).
function h(spec, attrs, ...children) {
  const [, tag = 'div', rest = ''] = spec.match(/^([a-z0-9]+)?(.*)$/i);
  const el = document.createElement(tag);
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// fill replaces el's children, leaving out the null and false ones (the
// DOM would write them as text).
const fill = (el, ...kids) => el.replaceChildren(...kids.flat().filter((k) => k != null && k !== false));

// ---------------------------------------------------------------- state

const state = {
  me: null,
  meta: { statuses: [] }, // names the server owns (GET /api/meta)
  offset: 0, // server clock - browser clock, ms
  queue: [],
  queueSeen: null, // ticket ids already announced
  mine: [],
  agents: [],
  quick: [],
  view: 'atendimento',
  openId: null,
  open: null,
  history: [],
  all: [],
  allFilter: 'open',
  allQuery: '', // the search the list shows, '' for none
  dashDays: 14,
  unread: {},
  lastRead: {},
  drafts: {},
  sound: localStorage.getItem('suporte.sound') !== 'off',
  live: false,
};

const serverNow = () => Date.now() + state.offset;

// ---------------------------------------------------------------- API

class APIError extends Error {
  constructor(status, message, data) { super(message); this.status = status; this.data = data; }
}

async function api(method, path, body) {
  const opts = { method, headers: { 'X-Requested-With': 'suporte' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    throw new APIError(0, 'Sem conexão com o servidor. Tentando de novo…');
  }
  const now = res.headers.get('X-Suporte-Now');
  if (now) state.offset = Date.parse(now) - Date.now();
  let data = null;
  try { data = await res.json(); } catch { /* empty body */ }
  if (res.status === 401 && path !== '/api/login') {
    showLogin(state.me ? 'Sua sessão terminou. Entre de novo.' : '');
    throw new APIError(401, (data && data.error) || 'Faça login para continuar.');
  }
  if (!res.ok) throw new APIError(res.status, (data && data.error) || `Erro ${res.status}`, data);
  return data;
}

// ---------------------------------------------------------------- formatting

const fmtTime = new Intl.DateTimeFormat('pt-BR', { timeZone: TZ, hour: '2-digit', minute: '2-digit' });
const fmtDay = new Intl.DateTimeFormat('pt-BR', { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric' });
const fmtShort = new Intl.DateTimeFormat('pt-BR', { timeZone: TZ, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
const fmtWeekday = new Intl.DateTimeFormat('pt-BR', { timeZone: TZ, weekday: 'long' });
const fmtWhen = new Intl.DateTimeFormat('pt-BR', { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const num = (n) => Number(n).toLocaleString('pt-BR');
const pct = (x) => `${Math.round(x * 100)}%`;

// addDays moves a YYYY-MM-DD day by n days.
function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// longDate says "quarta-feira, 02/12/2026 às 18:00".
const longDate = (iso) => `${fmtWeekday.format(new Date(iso))}, ${fmtDay.format(new Date(iso))} às ${fmtTime.format(new Date(iso))}`;
const time = (iso) => (iso ? fmtTime.format(new Date(iso)) : '');
const day = (iso) => (iso ? fmtDay.format(new Date(iso)) : '');

function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return day(iso) === fmtDay.format(new Date(serverNow())) ? `hoje ${fmtTime.format(d)}` : fmtShort.format(d);
}

// waited formats a wait: 45 s, 3:07, 1 h 05.
function waited(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}:${String(s % 60).padStart(2, '0')}`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
}

function minutes(sec) {
  if (sec < 60) return `${Math.round(sec)} s`;
  return `${(sec / 60).toLocaleString('pt-BR', { maximumFractionDigits: 1 })} min`;
}

// initials of a name's words that start with a letter; '#' for a number.
const initials = (name) => (name || '').trim().split(/\s+/).filter((w) => /^\p{L}/u.test(w)).slice(0, 2)
  .map((w) => w[0]).join('').toUpperCase() || '#';

// plural counts in pt-BR: 1 avaliação, 0 or 2 avaliações; pluralWord
// gives the word alone.
const pluralWord = (n, one, many) => (n === 1 ? one : many);
const plural = (n, one, many) => `${num(n)} ${pluralWord(n, one, many)}`;

// pill shows a ticket's status with the server's label; queuePill says
// it also waits in the queue (a queued ticket is Aberto, and in line).
const pill = (t) => h('span.pill', { class: `pill pill-${t.status}`, text: t.status_label || t.status });
const queuePill = (t) => h('span.pill.pill-queued', { text: t.queue_position ? `Na fila · ${t.queue_position}º` : 'Na fila' });
const statusPills = (t) => h('span.pills', pill(t), t.queued ? queuePill(t) : null);

// BR_PHONE finds Brazilian numbers in international digits (+5547999990001).
const BR_PHONE = /(?<![\d+])\+?55([1-9]\d)(\d{4,5})(\d{4})(?!\d)/g;

// fmtPhones writes the Brazilian numbers in text as people read them:
// +55 47 99999-0001.
const fmtPhones = (text) => String(text || '').replace(BR_PHONE, (_, ddd, a, b) => `+55 ${ddd} ${a}-${b}`);

// withPhones is fmtPhones with each number in a span that never breaks
// across lines.
function withPhones(text) {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of String(text || '').matchAll(BR_PHONE)) {
    out.append(text.slice(last, m.index), h('span.phone', { text: `+55 ${m[1]} ${m[2]}-${m[3]}` }));
    last = m.index + m[0].length;
  }
  out.append(String(text || '').slice(last));
  return out;
}

// customerName is how a ticket names its customer: the WhatsApp name, or
// the number when there is none (a chat key is never shown).
function customerName(t) {
  const r = t.requester || '';
  if (r && !r.includes('@')) return r;
  const [user, server = ''] = (t.chat || r).split('@');
  return /^\d+$/.test(user) && server !== 'lid' ? `+${user}` : 'Cliente sem nome';
}

// rich renders WhatsApp formatting (*bold*, _italic_, ~strike~) and links
// as elements, never as HTML.
function rich(text) {
  const out = document.createDocumentFragment();
  const re = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]])|\*([^*\n]+)\*|_([^_\n]+)_|~([^~\n]+)~/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.append(text.slice(last, m.index));
    if (m[1]) out.append(h('a', { href: m[1], target: '_blank', rel: 'noopener noreferrer', text: m[1] }));
    else if (m[2]) out.append(h('strong', { text: m[2] }));
    else if (m[3]) out.append(h('em', { text: m[3] }));
    else out.append(h('s', { text: m[4] }));
    last = m.index + m[0].length;
  }
  out.append(text.slice(last));
  return out;
}

// ---------------------------------------------------------------- toasts and sound

// toast shows msg for a few seconds; action ({label, onclick, ms}) adds a
// button, and the toast stays ms (or until the button is used).
function toast(msg, kind = '', action) {
  const t = h('div.toast', { class: `toast ${kind}` }, h('span', { text: msg }),
    action ? h('button.toast-action', { type: 'button', text: action.label, onclick: () => { t.remove(); action.onclick(); } }) : null);
  $('#toasts').append(t);
  setTimeout(() => t.remove(), action ? action.ms : kind === 'error' ? 6000 : 3500);
}
const failed = (err) => { if (err.status !== 401) toast(err.message, 'error'); };

let audio = null;
function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!audio && Ctx) audio = new Ctx();
  if (audio && audio.state === 'suspended') audio.resume();
}
document.addEventListener('pointerdown', unlockAudio);
document.addEventListener('keydown', unlockAudio);

// beep plays a short chime made on the spot: two rising notes for the
// queue, one soft note for a message.
function beep(kind) {
  if (kind === 'queue') lastChime = Date.now();
  if (!state.sound || !audio || audio.state !== 'running') return;
  const notes = kind === 'queue' ? [660, 880] : [587];
  const t0 = audio.currentTime + 0.02;
  notes.forEach((f, i) => {
    const o = audio.createOscillator();
    const g = audio.createGain();
    const t = t0 + i * 0.16;
    o.type = 'sine';
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, t);
    g.gain.exponentialRampToValueAtTime(kind === 'queue' ? 0.22 : 0.12, t + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
    o.connect(g).connect(audio.destination);
    o.start(t);
    o.stop(t + 0.24);
  });
}

// ---------------------------------------------------------------- login

function showLogin(message) {
  stopEvents();
  state.me = null;
  $('#app').hidden = true;
  $('#login').hidden = false;
  const err = $('#login-error');
  err.hidden = !message;
  err.textContent = message || '';
  document.title = 'Entrar • Suporte';
  $('#login-email').focus();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = $('#login-submit');
  const err = $('#login-error');
  btn.disabled = true;
  err.hidden = true;
  try {
    await api('POST', '/api/login', { email: $('#login-email').value, password: $('#login-password').value });
    $('#login-password').value = '';
    await start();
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
  } finally {
    btn.disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout'); } catch { /* leaving anyway */ }
  showLogin('');
});

// ---------------------------------------------------------------- start

async function start() {
  try {
    state.me = await api('GET', '/api/me');
  } catch (e) {
    if (e.status === 401) return; // showLogin already ran
    showLogin(e.message);
    return;
  }
  const me = state.me.agent;
  const key = `suporte.read.${me.id}`;
  try { state.lastRead = JSON.parse(localStorage.getItem(key) || '{}'); } catch { state.lastRead = {}; }
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#me-name').textContent = me.name;
  $('#me-initials').textContent = initials(me.name);
  $$('.sup-only').forEach((el) => { el.hidden = !me.supervisor; });
  $$('[data-roles]').forEach((el) => { el.hidden = !el.dataset.roles.split(' ').includes(me.role); });
  for (const v of Object.values(views)) if (v.start) v.start(me);
  api('GET', '/api/quick-replies').then((q) => { state.quick = q; }).catch(failed);
  api('GET', '/api/meta').then((m) => { state.meta = m; renderFilters(); }).catch(failed);
  route();
  await refreshAll();
  startEvents();
}

function saveRead() {
  if (!state.me) return;
  localStorage.setItem(`suporte.read.${state.me.agent.id}`, JSON.stringify(state.lastRead));
}

// serves tells whether the one logged in serves customers: content
// editors own the flows, not the queue or the conversations.
const serves = () => state.me && state.me.agent.role !== 'editor';

async function refreshAll() {
  if (!serves()) { await loadView(); return; }
  await Promise.all([loadQueue(), loadMine(), loadAgents(), state.openId ? loadOpen() : null, loadView()]);
}

// ---------------------------------------------------------------- routing

function route() {
  const home = serves() || !views.fluxos ? 'atendimento' : 'fluxos';
  const [, view = home, id] = location.hash.split('/');
  const sup = state.me && state.me.agent.supervisor;
  const extra = state.me && views[view] && views[view].allowed(state.me.agent);
  const allowed = { atendimento: serves(), todas: sup || (state.me && state.me.agent.role === 'agent'), painel: sup };
  state.view = allowed[view] || extra ? view : home;
  $$('.view').forEach((v) => { v.hidden = v.dataset.view !== state.view; });
  $$('.tab').forEach((t) => {
    if (t.dataset.view === state.view) {
      t.setAttribute('aria-current', 'page');
      if (narrow.matches) t.scrollIntoView({ block: 'nearest', inline: 'nearest' }); // the tabs scroll on a phone
    } else t.removeAttribute('aria-current');
  });
  if (state.view === 'atendimento' && id && Number(id) !== state.openId) openTicket(Number(id));
  // On a phone the list and a conversation take turns: no id, the list.
  if (state.view === 'atendimento' && !id && state.openId && narrow.matches) closeTicket();
  if (!id) state.pushed = false;
  closeMenus();
  loadView();
}
window.addEventListener('hashchange', route);

function loadView() {
  if (state.view === 'todas') return loadAll();
  if (state.view === 'painel') return loadDashboard();
  if (views[state.view]) return views[state.view].load(location.hash.split('/')[2]);
  return null;
}

// ---------------------------------------------------------------- queue

async function loadQueue() {
  if (!serves()) return;
  try {
    state.queue = await api('GET', '/api/queue');
  } catch (e) { failed(e); return; }
  const ids = new Set(state.queue.map((q) => q.ticket));
  if (state.queueSeen) {
    if ([...ids].some((id) => !state.queueSeen.has(id))) beep('queue');
  }
  state.queueSeen = ids;
  renderQueue();
}

function renderQueue() {
  const list = $('#queue-list');
  const n = state.queue.length;
  list.replaceChildren(...state.queue.map((q) => {
    const name = customerName(q);
    const claimBtn = h('button.btn.btn-primary.btn-sm.claim', {
      type: 'button', text: 'Atender', 'aria-label': `Atender ${name}`,
      onclick: (ev) => { ev.stopPropagation(); claim(q.ticket); },
    });
    return h('li.item.queue-item', {
      dataset: { ticket: q.ticket }, tabindex: 0, 'aria-current': String(q.ticket === state.openId),
      title: 'Ver a conversa com o bot antes de atender',
      onclick: () => go(q.ticket),
      onkeydown: (ev) => { if (ev.key === 'Enter') go(q.ticket); },
    },
    h('span.item-pos', { text: `${q.position}º`, title: `Posição ${q.position} na fila` }),
    h('span.item-name', withPhones(name)),
    h('span.item-side', h('span.wait', { dataset: { since: q.waiting_since }, title: 'Esperando há' })),
    h('span.item-sub', { text: [q.id_suporte && `ID ${q.id_suporte}`, q.topic || 'Sem assunto', q.line && `Linha ${q.line}`].filter(Boolean).join(' · ') }),
    claimBtn);
  }));
  $('#queue-empty').hidden = n > 0;
  $('#queue-count').textContent = n;
  $('#queue-section').classList.toggle('has-waiting', n > 0);
  $('#claim-next').disabled = n === 0 || atCapacity();
  for (const badge of [$('#tab-queue-badge'), $('#back-badge')]) {
    badge.hidden = n === 0;
    badge.textContent = n;
  }
  $('#conv-back').title = n ? `Voltar para a fila (${plural(n, 'cliente esperando', 'clientes esperando')})` : 'Voltar para a fila';
  document.title = n > 0 ? `(${n}) Fila • Suporte` : 'Suporte • Encantadores';
  tick();
}

// tick refreshes every ticking wait on the page and, while customers
// wait and the console is in another tab, chimes again every two minutes.
let lastChime = 0;
function tick() {
  const now = serverNow();
  if (document.hidden && state.queue.length && state.me && !atCapacity() && Date.now() - lastChime > 120e3) {
    lastChime = Date.now();
    beep('queue');
  }
  for (const el of $$('[data-until]')) {
    if (!el.dataset.until) continue;
    const s = Math.ceil((Date.parse(el.dataset.until) - now) / 1000);
    el.textContent = s > 0 ? `O cliente recebe a pesquisa de satisfação em ${plural(s, 'segundo', 'segundos')}.` : 'Enviando a pesquisa de satisfação…';
    if (s <= 0 && !el.dataset.reloaded) {
      el.dataset.reloaded = '1';
      setTimeout(() => reload('open'), 1500); // the server's event usually comes first
    }
  }
  for (const el of $$('[data-since]')) {
    const ms = now - Date.parse(el.dataset.since);
    el.textContent = waited(ms);
    el.classList.toggle('long', ms >= 5 * 60e3 && ms < 15 * 60e3);
    el.classList.toggle('very-long', ms >= 15 * 60e3);
  }
}
setInterval(tick, 1000);

async function claim(id) {
  try {
    await api('POST', `/api/tickets/${id}/claim`);
    toast('Conversa atendida. O cliente foi avisado.');
    await Promise.all([loadQueue(), loadMine()]);
    go(id, true);
  } catch (e) {
    failed(e);
    loadQueue();
  }
}

$('#claim-next').addEventListener('click', async () => {
  try {
    const res = await api('POST', '/api/queue/claim-next');
    await Promise.all([loadQueue(), loadMine()]);
    go(res.ticket, true);
  } catch (e) {
    failed(e);
    loadQueue();
  }
});

// ---------------------------------------------------------------- my chats

const atCapacity = () => state.me && state.mine.length >= state.me.agent.max_chats;

async function loadMine() {
  if (!serves()) return;
  try {
    state.mine = await api('GET', '/api/tickets?mine=1');
  } catch (e) { failed(e); return; }
  state.mine.sort((a, b) => Date.parse(a.claimed_at || a.created_at) - Date.parse(b.claimed_at || b.created_at));
  renderMine();
  renderCapacity();
}

function renderMine() {
  $('#mine-list').replaceChildren(...state.mine.map((t) => {
    const unread = state.unread[t.id] || 0;
    return h('li.item.mine-item', {
      dataset: { ticket: t.id }, tabindex: 0, 'aria-current': String(t.id === state.openId),
      onclick: () => go(t.id), onkeydown: (ev) => { if (ev.key === 'Enter') go(t.id); },
    },
    h('span.avatar', { text: initials(customerName(t)), 'aria-hidden': 'true' }),
    h('span.item-name', withPhones(customerName(t))),
    h('span.item-side',
      unread ? h('span.badge', { text: unread, title: plural(unread, 'mensagem nova', 'mensagens novas'), 'aria-label': plural(unread, 'nova', 'novas') }) : null,
      h('span.wait', { text: time(t.last_activity_at), title: 'Última atividade' })),
    h('span.item-sub', {}, pill(t), ' ', [t.topic, t.line && `Linha ${t.line}`].filter(Boolean).join(' · ')));
  }));
  $('#mine-empty').hidden = state.mine.length > 0;
  $('#mine-count').textContent = state.mine.length;
}

function renderCapacity() {
  const max = state.me.agent.max_chats;
  const n = state.mine.length;
  $('#capacity-text').replaceChildren(h('strong', { text: n }), ` de ${plural(max, 'conversa', 'conversas')}`);
  $('#capacity-bar').style.width = `${Math.min(100, (100 * n) / max)}%`;
  $('#capacity').classList.toggle('full', n >= max);
  $('#capacity').title = n >= max ? 'Você está no seu limite de conversas' : 'Conversas que você está atendendo agora';
  $('#claim-next').disabled = state.queue.length === 0 || n >= max;
}

// Alt+Up / Alt+Down move between my chats.
document.addEventListener('keydown', (ev) => {
  if (!ev.altKey || (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown') || !state.mine.length) return;
  ev.preventDefault();
  const i = state.mine.findIndex((t) => t.id === state.openId);
  const next = ev.key === 'ArrowDown' ? i + 1 : i - 1;
  const t = state.mine[(next + state.mine.length) % state.mine.length];
  go(t.id, true);
});

// ---------------------------------------------------------------- conversation

function go(id, focus, past) {
  if (!past) state.returnTo = null;
  if (location.hash !== `#/atendimento/${id}`) {
    state.pushed = state.pushed || location.hash.split('/').length < 3; // from a list: Back returns to it
    location.hash = `#/atendimento/${id}`;
  } else openTicket(id);
  if (focus && !touch.matches) requestAnimationFrame(() => $('#composer-text').focus());
}

// Back, on a phone: to the list the conversation was opened from.
$('#conv-back').addEventListener('click', () => {
  if (state.pushed) history.back();
  else closeTicket();
});

async function openTicket(id) {
  saveDraft();
  remindUndo(state.open);
  state.openId = id;
  state.open = null;
  state.history = [];
  await loadOpen(true);
  renderQueue();
  renderMine();
}

async function loadOpen(scrollToEnd) {
  const id = state.openId;
  if (!id) return;
  let t;
  try {
    t = await api('GET', `/api/tickets/${id}`);
  } catch (e) {
    if (e.status === 404 || e.status === 403) {
      toast(e.message, 'error');
      closeTicket();
    } else failed(e);
    return;
  }
  if (state.openId !== id) return; // the agent moved on meanwhile
  const sameTicket = state.open && state.open.id === t.id;
  state.open = t;
  markRead(t);
  renderConversation(!sameTicket || scrollToEnd);
  if (!sameTicket) loadHistory(t);
}

function closeTicket() {
  remindUndo(state.open);
  state.openId = null;
  state.open = null;
  state.pushed = false;
  showDetails(false);
  if (location.hash.startsWith('#/atendimento/')) history.replaceState(null, '', '#/atendimento');
  renderConversation();
  renderQueue();
  renderMine();
}

function markRead(t) {
  const last = t.messages.filter((m) => m.from === 'customer').pop();
  if (last) state.lastRead[t.id] = last.at;
  state.unread[t.id] = 0;
  saveRead();
}

const mineHas = (id) => state.mine.some((t) => t.id === id);

function renderConversation(scrollToEnd) {
  const t = state.open;
  $('#conv-empty').hidden = !!t;
  $('#conv').hidden = !t;
  $('#details').hidden = !t;
  $('#view-atendimento').classList.toggle('no-details', !t);
  $('#view-atendimento').classList.toggle('has-open', !!t);
  if (!t) return;
  const me = state.me.agent;
  const mine = t.agent === me.id;
  const inQueue = t.queued;
  const resolved = t.status === 'resolvido';
  const resolving = !!t.resolving_at && !resolved; // Resolver's undo window is open
  const canAct = (mine || (me.supervisor && t.agent)) && !resolved && !resolving;

  fill($('#conv-name'), withPhones(customerName(t)));
  fill($('#conv-status'), pill(t), inQueue ? queuePill(t) : null);
  $('#conv-protocol').textContent = t.id;
  $('#conv-idsuporte').textContent = t.id_suporte || '—';
  $('#conv-topic').textContent = t.topic || '';
  $('#conv-line').hidden = !t.line; // only when the console serves several numbers
  $('#conv-line strong').textContent = t.line || '';
  const esc = $('#conv-escalated');
  esc.hidden = !t.escalation_due;
  if (t.escalation_due) esc.textContent = `Com produto até ${day(t.escalation_due)}`;

  $('#btn-claim').hidden = !inQueue;
  for (const id of ['#btn-waiting', '#btn-resolve', '#btn-release', '#btn-transfer', '#btn-escalate']) $(id).hidden = !canAct;
  $('#btn-waiting').disabled = t.status === 'aguardando_resposta';
  $('#btn-escalate').disabled = !!t.escalation_due;

  const composer = $('#composer');
  const ro = $('#readonly');
  composer.hidden = !canAct;
  ro.hidden = canAct || resolving;
  $('#resolving').hidden = !resolving;
  const left = $('#resolving-left');
  if (left.dataset.until !== (resolving ? t.resolving_at : '')) {
    left.dataset.until = resolving ? t.resolving_at : '';
    delete left.dataset.reloaded;
  }
  $('#undo-resolve').hidden = !(mine || me.supervisor);
  if (resolving) tick();
  if (!canAct) {
    const back = state.returnTo && state.returnTo.id !== t.id ? state.returnTo : null;
    fill(ro, resolved ? 'Chamado resolvido: só leitura.'
      : inQueue ? 'O cliente está na fila. Clique em Atender para conversar com ele.'
        : `Conversa com ${t.agent_name || 'outro Encantador'}.`,
    back ? h('button#return-btn.btn.btn-sm.btn-primary', { type: 'button', onclick: () => go(back.id, true) }, '‹ Voltar para ', withPhones(back.name)) : null);
  }
  const text = $('#composer-text');
  if (canAct && text.dataset.ticket !== String(t.id)) {
    text.dataset.ticket = t.id;
    text.value = state.drafts[t.id] || '';
    autosize();
  }

  renderTranscript(scrollToEnd);
  renderDetails();
}

// renderTranscript updates the transcript line by line (keyed by id):
// new lines are added, changed ones updated in place, and a file already
// shown is never drawn again (that would stop a voice note playing,
// reload an image and move the page). At the bottom it follows new
// lines; scrolled up, it stays put and says new ones came.
function renderTranscript(scrollToEnd) {
  const box = $('#transcript');
  const t = state.open;
  if (box.dataset.ticket !== String(t.id)) {
    box.replaceChildren();
    box.dataset.ticket = t.id;
    scrollToEnd = true;
  }
  const old = new Map([...box.children].map((el) => [el.dataset.key, el]));
  const nodes = [];
  let added = 0;
  let lastDay = '';
  const today = fmtDay.format(new Date(serverNow()));
  for (const m of t.messages) {
    const d = day(m.at);
    if (d !== lastDay) {
      lastDay = d;
      const label = d === today ? 'Hoje' : d;
      const sep = old.get(`day ${d}`);
      nodes.push(sep && sep.textContent === label ? sep : h('div.day-sep', { dataset: { key: `day ${d}` }, text: label }));
    }
    const el = old.get(`m ${m.id}`);
    old.delete(`m ${m.id}`); // a line is drawn once, whatever the server says
    if (el) updateLine(el, m);
    else if (m.from !== 'system') added++;
    nodes.push(el || line(m));
  }
  // Only new lines go in: a line on the page is never moved (moving a
  // player stops it).
  const keep = new Set(nodes);
  for (const el of [...box.children]) if (!keep.has(el)) el.remove();
  let at = box.firstElementChild;
  for (const el of nodes) {
    if (el === at) at = at.nextElementSibling;
    else box.insertBefore(el, at);
  }
  if (scrollToEnd || following) toBottom();
  else if (added) newBelow(newCount + added);
}

// following says the transcript is scrolled to its end and stays there
// as lines come and images load; newCount counts the lines that came
// below while it was scrolled up.
let following = true;
let newCount = 0;
const transcriptEl = $('#transcript');
const atBottom = () => transcriptEl.scrollHeight - transcriptEl.scrollTop - transcriptEl.clientHeight < 80;

function toBottom() {
  transcriptEl.scrollTop = transcriptEl.scrollHeight;
  following = true;
  newBelow(0);
}

function newBelow(n) {
  newCount = n;
  const cue = $('#new-below');
  cue.hidden = !n;
  cue.textContent = n ? `${plural(n, 'nova mensagem', 'novas mensagens')} ↓` : '';
}

transcriptEl.addEventListener('scroll', () => {
  following = atBottom();
  if (following && newCount) newBelow(0);
});
// An image or a player's first frame makes its line taller once loaded:
// a transcript at its end stays there.
for (const ev of ['load', 'loadedmetadata']) {
  transcriptEl.addEventListener(ev, () => { if (following) transcriptEl.scrollTop = transcriptEl.scrollHeight; }, true);
}
$('#new-below').addEventListener('click', () => { toBottom(); transcriptEl.focus(); });

// line is a transcript line for m, keyed for renderTranscript.
function line(m) {
  const el = message(m);
  el.dataset.key = `m ${m.id}`;
  el.sig = lineSig(m);
  return el;
}

// lineSig is what a line shows besides its file.
const lineSig = (m) => JSON.stringify([m.from, m.text, m.at, m.actor, m.actor_name, m.from === 'customer' ? customerName(state.open) : '']);

// updateLine brings a line on the page up to m: its words and sender are
// redrawn around the file, and the file only when it changed (it landed,
// or could not be had).
function updateLine(el, m) {
  const media = $('.msg-media', el);
  if (el.sig !== lineSig(m)) {
    const fresh = line(m);
    el.className = fresh.className;
    el.sig = fresh.sig;
    if (!media) {
      el.replaceChildren(...fresh.childNodes);
    } else {
      $('.msg-meta', el).replaceWith($('.msg-meta', fresh));
      while (media.nextSibling) media.nextSibling.remove();
      const body = $('.msg-body', fresh);
      $('.msg-media', body)?.remove();
      media.after(...body.childNodes);
    }
  }
  if (media && m.media && media.sig !== JSON.stringify(m.media)) media.replaceWith(mediaBlock(m.media));
}

function message(m) {
  if (m.from === 'system') {
    const by = m.actor_name ? ` por ${m.actor_name}` : '';
    return h('div.msg.msg-system', { text: `${m.text}${by} · ${time(m.at)}` });
  }
  const who = {
    customer: withPhones(customerName(state.open)),
    bot: 'Bot',
    agent: m.actor_name || (m.actor === 'celular' ? 'Celular do suporte' : 'Encantador'),
    note: `Nota interna · ${m.actor_name || 'Encantador'}`,
  }[m.from] || m.from;
  // A file's line reads "[image] caption": the file shows itself.
  const text = m.media ? m.text.replace(/^\[[a-z_]+\]\s*/, '') : m.text;
  return h(`div.msg.msg-${m.from}`, { dataset: { from: m.from } },
    h('div.msg-meta', h('span.tag', who), h('span', { text: time(m.at) })),
    h('div.msg-body', m.media ? mediaBlock(m.media) : null, text ? rich(text) : null));
}

const kindNames = {
  image: 'Imagem', audio: 'Áudio', video: 'Vídeo', document: 'Documento', sticker: 'Figurinha', location: 'Localização', contact: 'Contato',
};

// fileSize writes bytes the Brazilian way: "1,5 MB".
function fileSize(n) {
  const units = [['GB', 2 ** 30], ['MB', 2 ** 20], ['KB', 2 ** 10]];
  for (const [u, v] of units) {
    if (n >= v) return `${(n / v).toLocaleString('pt-BR', { maximumFractionDigits: 1 })} ${u}`;
  }
  return `${n} bytes`;
}

// mediaBlock shows a message's file: an image (opens full size), a
// player for audio and video, a named download otherwise; a place with
// a map link; a file still coming or lost, as such.
function mediaBlock(md) {
  const name = md.name || kindNames[md.kind] || 'Arquivo';
  const box = h('div.msg-media', { dataset: { media: md.id, state: md.state } });
  box.sig = JSON.stringify(md);
  if (md.kind === 'location' && md.lat != null) {
    const coords = `${md.lat.toFixed(6)}, ${md.lng.toFixed(6)}`;
    box.append(h('a.file-card', { href: `https://www.openstreetmap.org/?mlat=${md.lat}&mlon=${md.lng}#map=17/${md.lat}/${md.lng}`, target: '_blank', rel: 'noopener noreferrer' },
      h('span.file-icon', { text: '📍' }), h('span', h('div.file-name', { text: md.name || 'Localização' }), h('div.file-sub', { text: `${coords} · abrir no mapa` }))));
    return box;
  }
  if (md.state === 'pending') {
    box.append(h('div.media-note', { text: `📎 ${kindNames[md.kind] || 'Arquivo'} chegando…` }));
    return box;
  }
  if (md.state === 'failed') {
    box.append(h('div.media-note.bad', { text: `⚠️ Não foi possível baixar ${md.kind === 'image' ? 'a imagem' : 'o arquivo'}: ${md.problem}` }));
    return box;
  }
  if (!md.url) {
    box.append(h('div.media-note', { text: `📎 ${name}` }));
    return box;
  }
  if (md.inline && (md.kind === 'image' || md.kind === 'sticker')) {
    box.append(h('a', { href: md.url, target: '_blank', rel: 'noopener', title: 'Abrir em tamanho real' },
      h('img', { src: md.url, alt: name, loading: 'lazy' })));
  } else if (md.inline && md.kind === 'audio') {
    box.append(h('audio', { src: md.url, controls: true, preload: 'metadata', title: md.voice ? 'Mensagem de voz' : name }));
  } else if (md.inline && md.kind === 'video') {
    box.append(h('video', { src: md.url, controls: true, preload: 'metadata', title: name }));
  }
  const icon = { image: '🖼️', audio: '🎧', video: '🎬', contact: '👤' }[md.kind] || '📄';
  const sub = [md.voice ? 'Mensagem de voz' : kindNames[md.kind], fileSize(md.bytes), 'baixar'].filter(Boolean).join(' · ');
  box.append(h('a.file-card', { href: `${md.url}?download=1`, download: name },
    h('span.file-icon', { text: icon }), h('span', h('div.file-name', { text: name }), h('div.file-sub', { text: sub }))));
  if (md.problem) box.append(h('div.media-note.bad', { text: `⚠️ ${md.problem}` }));
  return box;
}

function renderDetails() {
  const t = state.open;
  const rows = [
    ['Nome', withPhones(customerName(t))],
    ['Telefone', t.phone ? withPhones(t.phone) : '—'],
    ['ID Suporte', t.id_suporte || '—'],
    ['Protocolo', String(t.id)],
    ['Assunto', t.topic || '—'],
    ...(t.line ? [['Linha', t.line]] : []),
    ['Aberto em', when(t.created_at)],
    ['Entrou na fila', t.queued_at ? when(t.queued_at) : '—'],
    ['Encantador', t.agent_name || '—'],
  ];
  if (t.escalation_due) rows.push(['Retorno do produto', fmtShort.format(new Date(t.escalation_due))]);
  if (t.closed_at) rows.push(['Encerrado em', when(t.closed_at)]);
  $('#details-list').replaceChildren(...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', v)]));
  const fb = t.feedback;
  $('#details-feedback').hidden = !fb;
  if (fb) {
    fill($('#feedback-text'),
      h('span.stars', { text: '★'.repeat(fb.rating) + '☆'.repeat(5 - fb.rating), 'aria-label': `Nota ${fb.rating} de 5` }),
      ` ${fb.rating}/5`, fb.comment ? h('div.muted', { text: `“${fb.comment}”` }) : null);
  }
  renderHistory();
}

async function loadHistory(t) {
  try {
    const list = await api('GET', `/api/tickets?chat=${encodeURIComponent(t.chat)}&limit=20`);
    if (state.openId !== t.id) return;
    state.history = list.filter((x) => x.id !== t.id);
  } catch { state.history = []; }
  renderHistory();
}

function renderHistory() {
  const list = $('#history-list');
  if (!state.history.length) {
    list.replaceChildren(h('li.muted', { text: 'Nenhum outro chamado deste cliente.' }));
    return;
  }
  list.replaceChildren(...state.history.map((x) => h('li', {
    tabindex: 0, dataset: { ticket: x.id }, onclick: () => openPast(x.id), onkeydown: (ev) => { if (ev.key === 'Enter') openPast(x.id); },
  },
  h('div', h('strong', { text: `#${x.id}` }), ' ', pill(x)),
  h('div.muted', { text: [day(x.created_at), x.topic || 'sem assunto', x.agent_name, x.line && `linha ${x.line}`].filter(Boolean).join(' · ') }))));
}

// openPast opens one of the customer's other tickets, remembering the
// conversation it was opened from, to go back to it.
function openPast(id) {
  if (!state.returnTo) state.returnTo = { id: state.open.id, name: customerName(state.open) };
  showDetails(false); // where the details cover the conversation
  go(id, false, true);
}

// ---------------------------------------------------------------- composer

const textEl = $('#composer-text');

function autosize() {
  textEl.style.height = 'auto';
  textEl.style.height = `${Math.min(textEl.scrollHeight + 2, 220)}px`;
}

function saveDraft() {
  const id = textEl.dataset.ticket;
  if (id) state.drafts[id] = textEl.value;
}

function setInternal(on) {
  $('#internal').checked = on;
  $('#composer').classList.toggle('internal', on);
  $('#send').textContent = on ? 'Salvar nota' : 'Enviar';
  if (narrow.matches || touch.matches) textEl.placeholder = on ? 'Nota interna (só os Encantadores veem)' : 'Escreva para o cliente…';
  else {
    textEl.placeholder = on ? 'Nota interna: só os Encantadores veem. (Enter salva)'
      : 'Escreva para o cliente…  (Enter envia · Shift+Enter quebra linha · / respostas prontas)';
  }
}
setInternal(false);
narrow.addEventListener('change', () => setInternal($('#internal').checked));
$('#internal').addEventListener('change', (ev) => { setInternal(ev.target.checked); textEl.focus(); });

textEl.addEventListener('input', () => {
  autosize();
  saveDraft();
  if (textEl.value.startsWith('/')) openQuick(textEl.value.slice(1));
  else closeQuick();
});

textEl.addEventListener('keydown', (ev) => {
  if (!$('#quick-picker').hidden && quickKey(ev)) return;
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !touch.matches) {
    ev.preventDefault();
    send();
  }
});

$('#composer').addEventListener('submit', (ev) => { ev.preventDefault(); send(); });

let sending = false;
async function send() {
  const t = state.open;
  const text = textEl.value.trim();
  const att = state.attachment;
  if (!t || (!text && !att) || sending) return;
  const internal = $('#internal').checked;
  if (att && internal) {
    toast('Notas internas não levam arquivo: desligue Nota interna para enviar o anexo.', 'error');
    return;
  }
  sending = true;
  $('#send').disabled = true;
  try {
    if (att && att.file) await upload(t.id, att.file, text);
    else if (att) await api('POST', `/api/tickets/${t.id}/messages`, { text, attachment: att.quick.path });
    else await api('POST', `/api/tickets/${t.id}/messages`, { text, internal });
    setAttachment(null);
    textEl.value = '';
    delete state.drafts[t.id];
    autosize();
    if (internal) setInternal(false);
    await loadOpen(true);
  } catch (e) {
    failed(e);
  } finally {
    sending = false;
    $('#send').disabled = false;
    textEl.focus();
  }
}

// Quick replies: the button or "/" at the start of the composer.
let quickSel = 0;
let quickShown = [];

function openQuick(filter = '') {
  const f = filter.toLowerCase();
  quickShown = state.quick.filter((q) => !f || q.title.toLowerCase().includes(f) || q.text.toLowerCase().includes(f));
  const picker = $('#quick-picker');
  if (!state.quick.length) {
    picker.replaceChildren(h('div.quick-item', h('div.quick-text', { text: 'Nenhuma resposta pronta no flows.yaml (quick_replies).' })));
  } else if (!quickShown.length) {
    picker.replaceChildren(h('div.quick-item', h('div.quick-text', { text: 'Nenhuma resposta pronta com esse texto.' })));
  } else {
    quickSel = Math.min(quickSel, quickShown.length - 1);
    picker.replaceChildren(...quickShown.map((q, i) => h('div.quick-item', {
      role: 'option', 'aria-selected': String(i === quickSel),
      onmousedown: (ev) => { ev.preventDefault(); pickQuick(i); },
    }, h('div.quick-title', { text: q.title }), h('div.quick-text', { text: q.text }))));
  }
  picker.hidden = false;
}

function closeQuick() { $('#quick-picker').hidden = true; quickSel = 0; }

function quickKey(ev) {
  if (ev.key === 'Escape') { closeQuick(); ev.preventDefault(); return true; }
  if (!quickShown.length) return false;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    quickSel = (quickSel + (ev.key === 'ArrowDown' ? 1 : -1) + quickShown.length) % quickShown.length;
    openQuick(textEl.value.startsWith('/') ? textEl.value.slice(1) : '');
    ev.preventDefault();
    return true;
  }
  if (ev.key === 'Enter' || ev.key === 'Tab') { pickQuick(quickSel); ev.preventDefault(); return true; }
  return false;
}

// personalize replaces {nome}, {protocolo} and {id_suporte} with the open ticket's.
function personalize(text) {
  const t = state.open || {};
  const first = initials(customerName(t)) === '#' ? '' : customerName(t).split(/\s+/)[0];
  return text.replaceAll('{nome}', first).replaceAll('{protocolo}', String(t.id || '')).replaceAll('{id_suporte}', t.id_suporte || '');
}

function pickQuick(i) {
  const q = quickShown[i];
  if (!q) return;
  if (q.attachment) setAttachment({ quick: q.attachment });
  textEl.value = textEl.value.startsWith('/') ? personalize(q.text) : (textEl.value ? `${textEl.value} ` : '') + personalize(q.text);
  closeQuick();
  autosize();
  saveDraft();
  textEl.focus();
}

$('#quick-btn').addEventListener('click', () => {
  if ($('#quick-picker').hidden) { openQuick(''); textEl.focus(); } else closeQuick();
});
textEl.addEventListener('blur', () => setTimeout(closeQuick, 150));

// ---------------------------------------------------------------- attachments

// The file to send with the next message: a file chosen, dropped or
// pasted ({file}), or a quick reply's attachment ({quick}).
function setAttachment(att) {
  state.attachment = att;
  $('#attachment').hidden = !att;
  $('#attachment-progress').hidden = true;
  if (!att) return;
  const f = att.file || att.quick;
  $('#attachment-name').textContent = `${f.name} · ${fileSize(att.file ? f.size : f.bytes)}${att.quick ? ' (resposta pronta)' : ''}`;
  textEl.focus();
}

// upload sends a file with its caption, showing the progress (fetch has
// none for uploads, XMLHttpRequest does).
function upload(ticket, file, text) {
  const form = new FormData();
  form.append('text', text);
  form.append('file', file, file.name || 'print.png');
  const bar = $('#attachment-progress');
  bar.hidden = false;
  bar.value = 0;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/tickets/${ticket}/messages`);
    xhr.setRequestHeader('X-Requested-With', 'suporte');
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else if (xhr.status === 413 && !data) reject(new APIError(413, 'Arquivo grande demais.'));
      else reject(new APIError(xhr.status, (data && data.error) || `Erro ${xhr.status}`, data));
    };
    xhr.onerror = () => reject(new APIError(0, 'Sem conexão com o servidor: o arquivo não foi enviado.'));
    xhr.send(form);
  });
}

$('#attach-btn').addEventListener('click', () => $('#attach-input').click());
$('#attach-input').addEventListener('change', (ev) => {
  const f = ev.target.files[0];
  ev.target.value = '';
  if (f) setAttachment({ file: f });
});
$('#attachment-remove').addEventListener('click', () => setAttachment(null));
textEl.addEventListener('paste', (ev) => {
  const f = [...(ev.clipboardData ? ev.clipboardData.files : [])][0];
  if (!f || $('#composer').hidden) return;
  ev.preventDefault();
  setAttachment({ file: f });
});
{
  const desk = $('#view-atendimento');
  const canDrop = (ev) => !$('#composer').hidden && [...ev.dataTransfer.types].includes('Files');
  desk.addEventListener('dragover', (ev) => {
    if (!canDrop(ev)) return;
    ev.preventDefault();
    desk.classList.add('dropping');
  });
  desk.addEventListener('dragleave', (ev) => { if (ev.target === desk || !desk.contains(ev.relatedTarget)) desk.classList.remove('dropping'); });
  desk.addEventListener('drop', (ev) => {
    desk.classList.remove('dropping');
    if (!canDrop(ev)) return;
    ev.preventDefault();
    const f = ev.dataTransfer.files[0];
    if (f) setAttachment({ file: f });
  });
}

// ---------------------------------------------------------------- ticket actions

async function act(path, body, done) {
  const t = state.open;
  if (!t) return null;
  try {
    const res = await api('POST', `/api/tickets/${t.id}/${path}`, body);
    if (done) toast(done);
    await Promise.all([loadMine(), loadQueue(), loadOpen()]);
    return res;
  } catch (e) {
    failed(e);
    return null;
  }
}

$('#btn-claim').addEventListener('click', () => state.open && claim(state.open.id));
$('#btn-waiting').addEventListener('click', () => act('status', { status: 'aguardando_resposta' }, 'Status: Aguardando resposta.'));
// Resolver waits a few seconds before the customer hears of it: the
// conversation offers Desfazer until then, and a toast does if the agent
// moves on to another one meanwhile.
$('#btn-resolve').addEventListener('click', () => act('status', { status: 'resolvido' }));

function remindUndo(t) {
  if (!t || !t.resolving_at || t.status === 'resolvido') return;
  const ms = Date.parse(t.resolving_at) - serverNow();
  if (ms > 500) toast(`Chamado ${t.id} resolvido.`, '', { label: 'Desfazer', onclick: () => undoResolve(t.id), ms });
}
$('#undo-resolve').addEventListener('click', () => state.open && undoResolve(state.open.id));

async function undoResolve(id) {
  try {
    await api('POST', `/api/tickets/${id}/undo-resolve`);
    toast('Pronto: a conversa continua com você.');
    if (state.openId === id) {
      await loadOpen();
      textEl.focus();
    }
  } catch (e) {
    failed(e);
    if (state.openId === id) loadOpen();
  }
}
$('#btn-release').addEventListener('click', async () => {
  const res = await act('release', undefined, 'Cliente devolvido à fila, sem perder a vez.');
  if (res) closeTicket();
});

// Transfer: pick an agent in a dialog.
const transferDialog = $('#transfer-dialog');
$('#btn-transfer').addEventListener('click', async () => {
  await loadAgents();
  $('#transfer-search').value = '';
  $('#transfer-error').hidden = true;
  renderTransferList();
  transferDialog.showModal();
  $('#transfer-search').focus();
});
$('#transfer-search').addEventListener('input', renderTransferList);

function renderTransferList() {
  const f = $('#transfer-search').value.toLowerCase();
  const t = state.open;
  const options = state.agents.filter((a) => a.id !== (t && t.agent) && !a.disabled && a.role !== 'editor' && (!f || a.name.toLowerCase().includes(f)))
    .sort((a, b) => (a.self - b.self) || (b.online - a.online));
  const list = $('#transfer-list');
  if (!options.length) {
    list.replaceChildren(h('li.muted', { text: 'Nenhum Encantador disponível.' }));
    return;
  }
  list.replaceChildren(...options.map((a, i) => h('li', h('label',
    h('input', { type: 'radio', name: 'agent', value: a.id, checked: i === 0 }),
    h('span.dot', { class: `dot ${a.online ? 'on' : ''}`, title: a.online ? 'Online' : 'Offline' }),
    h('span.who', { text: a.name + (a.self ? ' (você)' : '') }),
    h('span.load', { text: `${a.active_chats} de ${a.max_chats}` })))));
}

$('#transfer-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const picked = $('input[name=agent]:checked', transferDialog);
  if (!picked) return;
  const t = state.open;
  try {
    await api('POST', `/api/tickets/${t.id}/transfer`, { agent: picked.value });
    transferDialog.close();
    toast('Conversa transferida.');
    await Promise.all([loadMine(), loadOpen()]);
    if (state.open && state.open.agent !== state.me.agent.id && !state.me.agent.supervisor) closeTicket();
  } catch (e) {
    $('#transfer-error').textContent = e.message;
    $('#transfer-error').hidden = false;
  }
});

// Escalate: confirm, then show the return date the customer was given.
const escDialog = $('#escalate-dialog');
$('#btn-escalate').addEventListener('click', () => {
  $('#escalate-ask').hidden = false;
  $('#escalate-done').hidden = true;
  $('#escalate-error').hidden = true;
  $('#escalate-cancel').hidden = false;
  $('#escalate-submit').textContent = 'Escalar';
  $('#escalate-title').textContent = 'Escalar para o time de produto?';
  $('#escalate-submit').className = 'btn btn-warn';
  escDialog.dataset.state = 'ask';
  escDialog.showModal();
});

$('#escalate-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (escDialog.dataset.state === 'done') { escDialog.close(); return; }
  const btn = $('#escalate-submit');
  btn.disabled = true;
  try {
    const res = await api('POST', `/api/tickets/${state.open.id}/escalate`);
    $('#escalate-due').textContent = longDate(res.due);
    $('#escalate-title').textContent = 'Caso escalado para o time de produto';
    $('#escalate-ask').hidden = true;
    $('#escalate-done').hidden = false;
    $('#escalate-cancel').hidden = true;
    btn.textContent = 'OK';
    btn.className = 'btn btn-primary';
    escDialog.dataset.state = 'done';
    loadOpen();
  } catch (e) {
    $('#escalate-error').textContent = e.message;
    $('#escalate-error').hidden = false;
  } finally {
    btn.disabled = false;
  }
});

$$('[data-close]').forEach((b) => b.addEventListener('click', () => b.closest('dialog').close()));

// ---------------------------------------------------------------- agents

async function loadAgents() {
  try {
    state.agents = await api('GET', '/api/agents');
  } catch (e) { failed(e); return; }
  renderOnline();
}

function renderOnline() {
  if (!state.me || !state.me.agent.supervisor) return;
  const online = state.agents.filter((a) => a.online);
  $('#online-count').textContent = online.length;
  const shown = state.agents.filter((a) => !a.disabled);
  $('#online-list').replaceChildren(...shown.map((a) => h('li',
    h('span.dot', { class: `dot ${a.online ? 'on' : ''}`, title: a.online ? 'Online' : 'Offline' }),
    h('div.who', h('div', { text: a.name }), h('div.muted.small', { text: { supervisor: 'Supervisor', editor: 'Editor', agent: 'Encantador' }[a.role] || a.role })),
    h('span.load', { text: `${a.active_chats} de ${a.max_chats}`, title: 'Conversas em andamento' }))));
}

// ---------------------------------------------------------------- all conversations

// The list: with no search, the conversations of the filter; with one,
// what the server's search finds (names, phones, protocols, IDs and the
// words of the conversations), newest first.
let allSeq = 0;
async function loadAll() {
  const f = state.allFilter;
  const query = state.allQuery;
  const seq = ++allSeq;
  let list;
  try {
    if (query) {
      const st = f === 'open' || f === 'all' ? '' : `&status=${f}`;
      list = await api('GET', `/api/search?q=${encodeURIComponent(query)}${st}`);
    } else {
      list = await api('GET', `/api/tickets${f === 'open' || f === 'all' ? '' : `?status=${f}`}`);
    }
  } catch (e) { failed(e); return; }
  if (seq !== allSeq) return; // a newer search answered first
  state.all = f === 'open' ? list.filter((t) => t.status !== 'resolvido') : list;
  state.allShown = query;
  renderAll();
  if (state.me.agent.supervisor) loadAgents();
}

function renderAll() {
  const words = searchWords(state.allShown || '');
  $('#all-body').replaceChildren(...state.all.map((t) => h('tr', { tabindex: 0, onclick: () => go(t.id), onkeydown: (ev) => { if (ev.key === 'Enter') go(t.id); } },
    h('td.num', { text: t.id }),
    h('td.cell-who', h('div.cell-name', highlight(customerName(t), words, true)), t.match ? snippet(t.match, words) : null),
    h('td.num', { text: t.id_suporte || '—' }),
    h('td', { text: [t.topic || '—', t.line && `Linha ${t.line}`].filter(Boolean).join(' · ') }),
    h('td', statusPills(t)),
    h('td', { text: t.agent_name || '—' }),
    h('td', { text: when(t.last_activity_at) }))));
  const empty = $('#all-empty');
  empty.hidden = state.all.length > 0;
  empty.textContent = state.allShown ? `Nada encontrado para “${state.allShown}”.` : 'Nenhuma conversa com esse filtro.';
  const me = state.me.agent;
  $('#all-scope').textContent = me.supervisor ? ''
    : 'Você vê a fila, as suas conversas e os chamados resolvidos; as conversas em andamento com outro Encantador ficam com ele.';
}

// fold writes text as the search compares it: lowercase, no accents.
const fold = (text) => text.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();

// searchWords splits a search as the server does: runs of letters or of
// digits, three characters or more.
const searchWords = (q) => [...fold(q).matchAll(/[a-z]+|[0-9]+/g)].map((m) => m[0]).filter((w) => w.length >= 3);

// highlight marks in text the places a word of the search starts a word
// (as the server matches: the start of a word, any accents and case);
// phones read as phones when asked.
function highlight(text, words, phones) {
  const chars = [...(phones ? fmtPhones(text) : String(text || ''))];
  let folded = '';
  const at = []; // folded index -> chars index
  chars.forEach((c, i) => { for (const f of fold(c)) { folded += f; at.push(i); } });
  const marked = new Array(chars.length).fill(false);
  const kind = (c) => (/[a-z]/.test(c) ? 'a' : /[0-9]/.test(c) ? '0' : '');
  for (const w of words) {
    for (let i = folded.indexOf(w); i >= 0; i = folded.indexOf(w, i + 1)) {
      if (i > 0 && kind(folded[i - 1]) === kind(w[0])) continue; // inside a word
      for (let k = i; k < i + w.length; k++) marked[at[k]] = true;
    }
  }
  if (!marked.includes(true)) return phones ? withPhones(text) : document.createTextNode(chars.join(''));
  const out = document.createDocumentFragment();
  let run = '';
  let on = false;
  const flush = () => { if (run) out.append(on ? h('mark', { text: run }) : run); run = ''; };
  chars.forEach((c, i) => {
    if (marked[i] !== on) { flush(); on = marked[i]; }
    run += c;
  });
  flush();
  return out;
}

// snippet shows the line that matched a search: who wrote it and the
// words around the first match.
function snippet(m, words) {
  const who = { customer: 'Cliente', agent: m.actor_name || 'Encantador', note: `Nota · ${m.actor_name || 'Encantador'}` }[m.from] || '';
  let text = m.text.replace(/\s+/g, ' ').trim();
  const f = fold(text);
  const first = Math.min(...words.map((w) => f.indexOf(w)).filter((i) => i >= 0));
  if (Number.isFinite(first) && first > 60) text = `…${[...text].slice(first - 40).join('')}`;
  if ([...text].length > 160) text = `${[...text].slice(0, 160).join('')}…`;
  return h('div.snippet', h('span.snippet-who', { text: `${who}: ` }), highlight(text, words));
}

let searchTimer = 0;
$('#all-search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const q = $('#all-search').value.trim();
    const query = searchWords(q).length || /^[\d\s()+.-]{3,}$/.test(q) ? q : '';
    if (query === state.allQuery) return;
    state.allQuery = query;
    // A search looks in every status unless one was chosen; clearing it
    // brings back the conversations going on.
    if (query && state.allFilter === 'open') [state.allFilter, state.autoAll] = ['all', true];
    if (!query && state.autoAll) [state.allFilter, state.autoAll] = ['open', false];
    renderFilters();
    loadAll();
  }, 250);
});

// renderFilters offers the conversations still going, each status (the
// server's names) and all.
function renderFilters() {
  const filters = [['open', 'Em andamento'], ...state.meta.statuses.map((st) => [st.id, st.label]), ['all', 'Todas']];
  fill($('#all-filters'), filters.map(([id, label]) => h('button.chip', {
    type: 'button', dataset: { filter: id }, 'aria-pressed': String(state.allFilter === id), text: label,
    onclick: () => { state.allFilter = id; state.autoAll = false; renderFilters(); loadAll(); },
  })));
}


// ---------------------------------------------------------------- dashboard

async function loadDashboard() {
  let d;
  try {
    d = await api('GET', `/api/dashboard?days=${state.dashDays}`);
  } catch (e) { failed(e); return; }
  $('#kpi-queue').textContent = d.now.queue;
  $('#kpi-with').textContent = d.now.with_agents;
  $('#kpi-online').textContent = d.now.online;
  $('#kpi-csat').textContent = d.csat.count ? d.csat.average.toLocaleString('pt-BR', { minimumFractionDigits: 1, maximumFractionDigits: 1 }) : '–';
  $('#kpi-csat-n').textContent = d.csat.count ? `${plural(d.csat.count, 'avaliação', 'avaliações')} no período` : 'sem avaliações no período';
  const labels = d.days.map((x) => `${x.day.slice(8, 10)}/${x.day.slice(5, 7)}`);
  $('#chart-volume').replaceChildren(barChart(labels,
    [d.days.map((x) => x.conversations), d.days.map((x) => x.handoffs)],
    ['Conversas', 'Transferidas para Encantadores']),
  legend([['la', 'Conversas'], ['lb', 'Transferidas para Encantadores']]));
  $('#chart-wait').replaceChildren(lineChart(labels,
    [d.days.map((x) => (x.claimed ? x.avg_wait_seconds / 60 : null)), d.days.map((x) => (x.claimed ? x.p90_wait_seconds / 60 : null))],
    ['Média', '90% esperaram até']),
  legend([['lb', 'Média'], ['lc', '90% dos clientes esperaram até']]));
  $('#chart-csat').replaceChildren(csatChart(d.csat.distribution));
  $('#chart-csat-day').replaceChildren(lineChart(labels, [d.days.map((x) => (x.ratings ? x.csat : null))], ['CSAT'], 5));
}

$$('#view-painel [data-days]').forEach((b) => b.addEventListener('click', () => {
  state.dashDays = Number(b.dataset.days);
  $$('#view-painel [data-days]').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
  loadDashboard();
}));

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
  for (const c of children) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const legend = (items) => h('div.legend', ...items.map(([cls, text]) => h('span', { class: cls, text })));

// chartW is the width charts are drawn at: their labels keep about the
// page's text size once the chart is scaled to the screen.
const chartW = () => (narrow.matches ? 360 : 720);
narrow.addEventListener('change', () => { if (state.me) loadView(); });

// niceMax rounds a maximum up to a readable axis end.
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function frame(W, H, max, labels, pad, fmt = (v) => v.toLocaleString('pt-BR'), ticks = 4) {
  const g = s('g');
  for (let i = 0; i <= ticks; i++) {
    const y = pad.t + ((H - pad.t - pad.b) * i) / ticks;
    g.append(s('line', { class: i === ticks ? 'axis' : 'grid', x1: pad.l, x2: W - pad.r, y1: y, y2: y }));
    g.append(s('text', { x: pad.l - 6, y: y + 4, 'text-anchor': 'end' }, fmt((max * (ticks - i)) / ticks)));
  }
  const step = (W - pad.l - pad.r) / labels.length;
  const every = Math.ceil(labels.length / (W / 72));
  labels.forEach((l, i) => {
    if (i % every === 0) g.append(s('text', { x: pad.l + step * (i + 0.5), y: H - pad.b + 16, 'text-anchor': 'middle' }, l));
  });
  return g;
}

function barChart(labels, series, names) {
  const W = chartW(); const H = W < 720 ? 190 : 220; const pad = { t: 10, r: 8, b: 24, l: 34 };
  const max = niceMax(Math.max(0, ...series.flat()));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': names.join(' e ') + ' por dia' });
  svg.append(frame(W, H, max, labels, pad, (v) => Math.round(v)));
  const step = (W - pad.l - pad.r) / labels.length;
  const bw = Math.min(18, (step * 0.7) / series.length);
  labels.forEach((l, i) => {
    series.forEach((ser, k) => {
      const v = ser[i];
      const bh = ((H - pad.t - pad.b) * v) / max;
      const x = pad.l + step * (i + 0.5) - (bw * series.length) / 2 + k * bw;
      svg.append(s('rect', { class: k ? 'bar-b' : 'bar-a', x, y: H - pad.b - bh, width: bw - 2, height: Math.max(0, bh), rx: 2 },
        s('title', {}, `${l}: ${v} ${names[k].toLowerCase()}`)));
    });
  });
  return svg;
}

function lineChart(labels, series, names, fixedMax) {
  const W = chartW(); const H = W < 720 ? 190 : 220; const pad = { t: 10, r: 8, b: 24, l: 34 };
  const vals = series.flat().filter((v) => v != null);
  if (!vals.length) return h('p.chart-empty', { text: 'Sem dados no período.' });
  const max = fixedMax || niceMax(Math.max(...vals));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': names.join(' e ') + ' por dia' });
  svg.append(frame(W, H, max, labels, pad, (v) => v.toLocaleString('pt-BR', { maximumFractionDigits: 1 }), fixedMax || 4));
  const step = (W - pad.l - pad.r) / labels.length;
  const fmt = (v) => v.toLocaleString('pt-BR', { maximumFractionDigits: 1 });
  series.forEach((ser, k) => {
    const pts = ser.map((v, i) => (v == null ? null : [pad.l + step * (i + 0.5), H - pad.b - ((H - pad.t - pad.b) * Math.min(v, max)) / max]));
    let d = '';
    let pen = false;
    pts.forEach((p) => {
      if (!p) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)} `;
      pen = true;
    });
    svg.append(s('path', { class: k ? 'line-b' : 'line-a', d }));
    pts.forEach((p, i) => {
      if (p) svg.append(s('circle', { class: k ? 'pt-b' : 'pt-a', cx: p[0], cy: p[1], r: 3.5 }, s('title', {}, `${labels[i]}: ${fmt(ser[i])} (${names[k]})`)));
    });
  });
  return svg;
}

function csatChart(dist) {
  const total = dist.reduce((a, b) => a + b, 0);
  if (!total) return h('p.chart-empty', { text: 'Nenhuma avaliação no período.' });
  const W = chartW(); const row = 40; const H = row * 5 + 6; const l = 44; const r = 110;
  const max = Math.max(...dist);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Distribuição das notas de 1 a 5' });
  for (let n = 5; n >= 1; n--) {
    const y = (5 - n) * row + 4;
    const v = dist[n - 1];
    const w = ((W - l - r) * v) / max;
    svg.append(s('text', { x: 0, y: y + 19 }, `${n} ★`));
    svg.append(s('rect', { class: `csat-bar ${n >= 4 ? 'good' : n <= 2 ? 'bad' : ''}`, x: l, y, width: Math.max(2, w), height: row - 14, rx: 3 },
      s('title', {}, `Nota ${n}: ${v}`)));
    svg.append(s('text', { class: 'val', x: l + Math.max(2, w) + 8, y: y + 18 }, `${v} (${Math.round((100 * v) / total)}%)`));
  }
  return svg;
}

// ---------------------------------------------------------------- live events

let es = null;
let reloadTimer = null;
const dirty = new Set();

// reload coalesces bursts of events into one fetch per kind.
function reload(what) {
  dirty.add(what);
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    const w = new Set(dirty);
    dirty.clear();
    if (w.has('queue')) loadQueue();
    if (w.has('mine')) loadMine();
    if (w.has('open')) loadOpen();
    if (w.has('agents')) loadAgents();
    if (w.has('view')) loadView();
  }, 120);
}

function setLive(on, text) {
  state.live = on;
  const el = $('#live');
  el.className = `live ${on ? 'on' : 'off'}`;
  el.textContent = text;
  $('#me-btn').className = `me-btn ${on ? 'on' : 'off'}`;
}

function startEvents() {
  stopEvents();
  es = new EventSource('/api/events');
  let first = true;
  es.addEventListener('hello', () => {
    setLive(true, 'Ao vivo');
    if (!first) refreshAll(); // events may have been missed while away
    first = false;
  });
  const ticketEvent = (fn) => (ev) => {
    const e = JSON.parse(ev.data);
    noteLine(e);
    fn(e);
  };
  es.addEventListener('queue', ticketEvent(() => { reload('queue'); if (state.view !== 'atendimento') reload('view'); }));
  es.addEventListener('ticket', ticketEvent(onTicketEvent));
  es.addEventListener('message', ticketEvent(onMessageEvent));
  es.addEventListener('presence', () => reload('agents'));
  for (const [name, fn] of Object.entries(streams)) es.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
  es.addEventListener('error', async () => {
    setLive(false, 'Reconectando…');
    if (es && es.readyState === EventSource.CLOSED) {
      // The server refused the stream (a 401 after the session ended, or
      // a restart): check the session, then open a new stream.
      try {
        await api('GET', '/api/me');
        setTimeout(() => { if (state.me) startEvents(); }, 3000);
      } catch { /* showLogin ran on 401 */ }
    }
  });
}

function stopEvents() {
  if (es) es.close();
  es = null;
}

// noteLine shows the line an event names (only when the console serves
// several numbers) wherever the page shows its ticket, as the ticket's own
// data does: a second number may start while the page is open, after its
// lists were loaded naming none, and the customer's other tickets beside
// a conversation are not loaded again on events.
function noteLine(e) {
  if (!e.line || !e.ticket) return;
  const set = (t, id) => {
    if (!t || id !== e.ticket || t.line === e.line) return false;
    t.line = e.line;
    return true;
  };
  if (state.queue.some((q) => set(q, q.ticket))) renderQueue();
  if (state.mine.some((t) => set(t, t.id))) renderMine();
  if (set(state.open, state.openId)) renderConversation();
  if (state.history.some((x) => set(x, x.id))) renderHistory();
}

function onTicketEvent(e) {
  reload('mine');
  reload('queue');
  if (e.ticket === state.openId) reload('open');
  if (state.view !== 'atendimento') reload('view');
}

async function onMessageEvent(e) {
  if (e.ticket === state.openId) {
    reload('open');
    if (document.hidden) beep('message');
    return;
  }
  if (!mineHas(e.ticket)) {
    if (state.view === 'todas') reload('view');
    return;
  }
  // One of my chats, not on screen: count what the customer sent since I last read.
  try {
    const t = await api('GET', `/api/tickets/${e.ticket}`);
    const since = state.lastRead[t.id] ? Date.parse(state.lastRead[t.id]) : 0;
    const n = t.messages.filter((m) => m.from === 'customer' && Date.parse(m.at) > since).length;
    if (n > (state.unread[t.id] || 0)) beep('message');
    state.unread[t.id] = n;
    renderMine();
  } catch { /* the next event fixes it */ }
}

// ---------------------------------------------------------------- menus

// On a phone the top bar's right side (who, capacity, sound, Sair) and a
// conversation's actions open as menus; a tap elsewhere or Escape closes
// them, and so does choosing an action.
function toggleMenu(button, menu, open) {
  const show = open ?? !menu.classList.contains('open');
  menu.classList.toggle('open', show);
  button.setAttribute('aria-expanded', String(show));
}

function closeMenus() {
  toggleMenu($('#me-btn'), $('#me-menu'), false);
  toggleMenu($('#btn-more'), $('#conv-actions'), false);
}

$('#me-btn').addEventListener('click', (ev) => { ev.stopPropagation(); toggleMenu($('#me-btn'), $('#me-menu')); });
$('#btn-more').addEventListener('click', (ev) => { ev.stopPropagation(); toggleMenu($('#btn-more'), $('#conv-actions')); });
$('#conv-actions').addEventListener('click', (ev) => { if (ev.target.closest('button')) toggleMenu($('#btn-more'), $('#conv-actions'), false); });
document.addEventListener('click', (ev) => {
  if (!ev.target.closest('#me-menu, #conv-actions')) closeMenus();
  if (ev.target.closest('.details, #btn-details, dialog') === null && $('#view-atendimento').classList.contains('show-details')) showDetails(false);
});
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape') return;
  closeMenus();
  showDetails(false);
});

// showDetails opens the customer's details over the conversation, where
// the screen has no room for them beside it.
function showDetails(on) {
  $('#view-atendimento').classList.toggle('show-details', on);
  $('#btn-details').setAttribute('aria-expanded', String(on));
  if (on) $('#details-close').focus();
}
$('#btn-details').addEventListener('click', (ev) => {
  ev.stopPropagation();
  closeMenus();
  showDetails(!$('#view-atendimento').classList.contains('show-details'));
});
$('#details-close').addEventListener('click', () => { showDetails(false); $('#btn-more').focus(); });

// ---------------------------------------------------------------- misc

$('#sound-toggle').addEventListener('click', () => {
  state.sound = !state.sound;
  localStorage.setItem('suporte.sound', state.sound ? 'on' : 'off');
  renderSound();
  if (state.sound) { unlockAudio(); beep('message'); }
});
function renderSound() {
  const b = $('#sound-toggle');
  b.setAttribute('aria-pressed', String(state.sound));
  b.title = state.sound ? 'Som ligado: toca quando um cliente entra na fila' : 'Som desligado';
  $('.sound-label', b).textContent = state.sound ? 'Aviso sonoro ligado' : 'Aviso sonoro desligado';
}
renderSound();

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.openId) loadOpen();
});

// The other views (editor.js, report.js) register here: views[name] =
// {allowed(agent), load(sub), start?(agent)}; streams[event] = fn(data).
export const views = {};
export const streams = {};
export { $, $$, h, s, fill, api, toast, failed, rich, barChart, csatChart, legend, niceMax, chartW, narrow };
export { fmtDay, fmtWhen, num, pct, addDays, plural, pluralWord, fileSize };

// Module scripts run in order before DOMContentLoaded: starting then lets
// the other views register first, however the network orders the files.
document.addEventListener('DOMContentLoaded', start);
