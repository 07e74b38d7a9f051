// WhatsApp simulado. Plain ES module, no framework: one state object,
// render functions that rebuild the chat list and the open conversation,
// and server-sent events for what the bot says. Text from the server goes
// in with textContent (the WhatsApp formatting builds elements), never
// innerHTML.

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h builds an element: h('div.cls', {attr: v, onclick: fn}, child...).
function h(spec, attrs, ...children) {
  const [, tag = 'div', rest = ''] = spec.match(/^([a-z0-9]+)?(.*)$/i);
  const el = document.createElement(tag);
  for (const c of rest.match(/\.[^.]+/g) || []) el.classList.add(c.slice(1));
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(path, viewBox = '0 0 16 11') {
  const ns = 'http://www.w3.org/2000/svg';
  const s = document.createElementNS(ns, 'svg');
  s.setAttribute('viewBox', viewBox);
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', path);
  s.append(p);
  return s;
}
const TICK2 = 'M11.071.653a.457.457 0 0 0-.304-.102.493.493 0 0 0-.381.178l-6.19 7.636-2.405-2.272a.463.463 0 0 0-.336-.146.47.47 0 0 0-.343.146l-.311.31a.445.445 0 0 0-.14.337c0 .136.047.25.14.343l2.996 2.996a.724.724 0 0 0 .501.203.697.697 0 0 0 .546-.266l6.646-8.417a.497.497 0 0 0 .108-.299.441.441 0 0 0-.19-.374l-.337-.273zm-2.26 7.372-.512-.49-.007.008 1.017.97a.724.724 0 0 0 .501.202.697.697 0 0 0 .546-.265l6.646-8.417a.497.497 0 0 0 .108-.299.441.441 0 0 0-.19-.374l-.337-.273a.457.457 0 0 0-.304-.102.493.493 0 0 0-.381.178l-6.19 7.636-.897-.834z';
const CLOCK = 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm0 1.2a5.3 5.3 0 1 1 0 10.6A5.3 5.3 0 0 1 8 2.7zm-.6 1.8v4.1l3.3 2 .6-1-2.7-1.6V4.5H7.4z';

// ---------------------------------------------------------------- state

const KINDS = {
  image: { icon: '📷', label: 'Foto' },
  video: { icon: '🎥', label: 'Vídeo' },
  audio: { icon: '🎤', label: 'Áudio' },
  sticker: { icon: '🙂', label: 'Figurinha' },
  document: { icon: '📄', label: 'Documento' },
  location: { icon: '📍', label: 'Localização' },
  contact: { icon: '👤', label: 'Contato' },
};
// FILE_KINDS are the kinds sent with a real file, and what the picker offers.
const FILE_KINDS = { document: '', image: 'image/*', video: 'video/*', audio: 'audio/*', sticker: 'image/webp,image/png' };
const NAMES = ['Maria Silva', 'João Pereira', 'Ana Souza', 'Carlos Lima', 'Fernanda Costa', 'Pedro Alves', 'Juliana Rocha', 'Rafael Gomes'];
const TYPING_MS = 15000; // "digitando..." without a message after it fades
// touch is a finger, not a mouse: as on WhatsApp's app, Enter breaks the
// line there, the button sends, and opening a chat does not pop up the
// keyboard.
const touch = matchMedia('(pointer: coarse)');

const saved = JSON.parse(localStorage.getItem('sim.names') || '{}');
const state = {
  chats: new Map(), // chat -> {chat, name, messages, loaded, unread, typingUntil, last, created}
  current: null,
  filter: '',
  offset: 0, // server clock - browser clock, ms (the demo may run at another instant)
  tz: -new Date().getTimezoneOffset(), // minutes east of UTC of the server's timestamps
};

function chatOf(id) {
  let c = state.chats.get(id);
  if (!c) {
    c = { chat: id, name: saved[id] || '', messages: [], loaded: false, unread: 0, typingUntil: 0, last: null, created: Date.now() };
    state.chats.set(id, c);
  }
  return c;
}

const key = (m) => (m.from === 'customer' ? 'c:' + m.id : 's:' + m.seq);

// byTime orders a chat as the server's history does: by when each message
// reached the phone, the customer's first on a tie, support ones by seq.
// A reload then shows what the live page showed.
function byTime(a, b) {
  const d = Date.parse(a.at) - Date.parse(b.at);
  if (d) return d;
  if (a.from !== b.from) return a.from === 'customer' ? -1 : 1;
  return a.from === 'support' ? a.seq - b.seq : 0;
}

// ---------------------------------------------------------------- server

async function api(path, opts = {}) {
  const res = await fetch('api/' + path, {
    ...opts,
    headers: typeof opts.body === 'string' ? { 'Content-Type': 'application/json' } : {}, // FormData sets its own
  });
  const now = Date.parse(res.headers.get('X-Suporte-Now') || '');
  if (!Number.isNaN(now)) state.offset = now - Date.now();
  let body = null;
  try { body = await res.json(); } catch { /* an empty or broken answer */ }
  if (!res.ok) throw new Error((body && body.error) || `Erro ${res.status}`);
  return body;
}

async function loadChats() {
  const list = await api('chats');
  for (const c of list) {
    const ch = chatOf(c.chat);
    if (c.name && !saved[c.chat]) ch.name = c.name;
    if (c.last && (!ch.last || time(c.last) >= time(ch.last))) ch.last = c.last;
  }
  renderList();
}

async function loadHistory(id) {
  const ms = await api('history?chat=' + encodeURIComponent(id));
  const ch = chatOf(id);
  const have = new Set(ms.map(key));
  const mine = ch.messages.filter((m) => (m.pending || m.failed) && !have.has(key(m)));
  ch.messages = ms.concat(mine);
  ch.loaded = true;
  if (ch.messages.length) ch.last = ch.messages[ch.messages.length - 1];
  if (ms.length) learnZone(ms[ms.length - 1].at);
  if (state.current === id) renderConv(true);
  renderList();
}

function connect() {
  const es = new EventSource('api/events');
  es.addEventListener('hello', () => {
    $('#conn').hidden = true;
    loadChats().catch(toast);
    if (state.current) loadHistory(state.current).catch(toast);
  });
  es.addEventListener('message', (e) => {
    const u = JSON.parse(e.data);
    addMessage(u.message);
  });
  es.addEventListener('typing', (e) => {
    const u = JSON.parse(e.data);
    const ch = chatOf(u.chat);
    ch.typingUntil = Date.now() + TYPING_MS;
    setTimeout(refresh, TYPING_MS + 50);
    refresh(u.chat);
  });
  es.addEventListener('read', (e) => {
    const u = JSON.parse(e.data);
    const ids = new Set(u.ids || []);
    for (const m of chatOf(u.chat).messages) if (m.from === 'customer' && ids.has(m.id)) m.read = true;
    refresh(u.chat);
  });
  es.onerror = () => {
    $('#conn').hidden = false;
    if (es.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
  };
}

function addMessage(m) {
  const ch = chatOf(m.chat);
  const i = ch.messages.findIndex((x) => key(x) === key(m));
  if (i >= 0) {
    ch.messages[i] = { ...ch.messages[i], ...m, pending: false, failed: false };
  } else {
    ch.messages.push(m);
    if (m.from === 'support' && (state.current !== m.chat || document.hidden)) ch.unread++;
  }
  ch.messages.sort(byTime);
  if (m.from === 'support') ch.typingUntil = 0;
  if (!ch.last || time(m) >= time(ch.last)) ch.last = m;
  learnZone(m.at);
  refresh(m.chat);
}

async function send(id, kind, text) {
  const ch = chatOf(id);
  const m = { id: 'web-' + randomHex(), chat: id, from: 'customer', kind, text, at: serverNow(), pending: true };
  ch.messages.push(m);
  ch.last = m;
  renderConv(true);
  renderList();
  const body = { chat: id, id: m.id, text };
  if (kind !== 'text') body.kind = kind;
  if (ch.name) body.name = ch.name;
  try {
    await api('messages', { method: 'POST', body: JSON.stringify(body) });
    const got = ch.messages.find((x) => key(x) === key(m));
    if (got) got.pending = false;
  } catch (err) {
    const got = ch.messages.find((x) => key(x) === key(m));
    if (got) { got.pending = false; got.failed = true; }
    toast(err);
  }
  refresh(id);
}

// sendFile sends a file as the customer (multipart), kind '' letting the
// server tell it by its bytes.
async function sendFile(id, kind, file, text) {
  const ch = chatOf(id);
  const m = { id: 'web-' + randomHex(), chat: id, from: 'customer', kind: kind || 'document', text, at: serverNow(), pending: true,
    file: { name: file.name, bytes: file.size, kind: kind || 'document' } };
  ch.messages.push(m);
  ch.last = m;
  renderConv(true);
  renderList();
  const form = new FormData();
  form.append('chat', id);
  form.append('id', m.id);
  if (kind) form.append('kind', kind);
  if (text) form.append('text', text);
  if (ch.name) form.append('name', ch.name);
  form.append('file', file, file.name);
  try {
    await api('messages', { method: 'POST', body: form });
    const got = ch.messages.find((x) => key(x) === key(m));
    if (got) got.pending = false;
  } catch (err) {
    const got = ch.messages.find((x) => key(x) === key(m));
    if (got) { got.pending = false; got.failed = true; }
    toast(err);
  }
  refresh(id);
}

// fileSize writes bytes the Brazilian way: "1,5 MB".
function fileSize(n) {
  for (const [u, v] of [['GB', 2 ** 30], ['MB', 2 ** 20], ['kB', 2 ** 10]]) {
    if (n >= v) return `${(n / v).toLocaleString('pt-BR', { maximumFractionDigits: 1 })} ${u}`;
  }
  return `${n} bytes`;
}

// fileBubble shows a real file: the picture, a player, or a named
// download (the URL is the demo's; nothing runs from it).
function fileBubble(m, b, caption) {
  const f = m.file;
  const kind = f.kind || m.kind;
  const shown = f.url && /^(image\/(jpeg|png|gif|webp)|audio\/|video\/(mp4|webm))/.test(f.type || '');
  if (shown && (kind === 'image' || kind === 'sticker')) {
    b.append(h('a.file-img', { href: f.url, target: '_blank', rel: 'noopener' }, h('img', { src: f.url, alt: f.name || 'Foto' })), caption(), h('span.spacer'));
  } else if (shown && kind === 'audio') {
    b.append(h('audio', { src: f.url, controls: '', preload: 'metadata' }), caption());
  } else if (shown && kind === 'video') {
    b.append(h('video', { src: f.url, controls: '', preload: 'metadata' }), caption(), h('span.spacer'));
  } else {
    const ext = ((f.name || '').split('.').pop() || '').slice(0, 4).toUpperCase() || 'ARQ';
    const doc = h('div.doc', h('span.doc-icon', ext),
      h('div', h('div.doc-name', f.name || 'arquivo'), h('div.doc-sub', f.bytes ? fileSize(f.bytes) : 'enviando…')));
    b.append(f.url ? h('a.doc-link', { href: f.url + '&download=1', download: f.name || '' }, doc) : doc, caption(), h('span.spacer'));
  }
}

// ---------------------------------------------------------------- time

const time = (m) => Date.parse(m.at);

function learnZone(at) {
  const z = /([+-])(\d\d):(\d\d)$/.exec(at || '');
  if (z) state.tz = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  else if (/Z$/.test(at || '')) state.tz = 0;
}

// serverNow is the server clock's instant, written in its zone like the
// server writes timestamps.
function serverNow() {
  const t = new Date(Date.now() + state.offset + state.tz * 60000).toISOString().slice(0, 23);
  const a = Math.abs(state.tz);
  return t + (state.tz < 0 ? '-' : '+') + String(Math.floor(a / 60)).padStart(2, '0') + ':' + String(a % 60).padStart(2, '0');
}

const clock = (at) => at.slice(11, 16);

function dayLabel(at) {
  const day = at.slice(0, 10);
  const today = serverNow().slice(0, 10);
  const y = new Date(Date.parse(today + 'T12:00:00Z') - 86400000).toISOString().slice(0, 10);
  if (day === today) return 'Hoje';
  if (day === y) return 'Ontem';
  return day.slice(8, 10) + '/' + day.slice(5, 7) + '/' + day.slice(0, 4);
}

function listTime(at) {
  const l = dayLabel(at);
  return l === 'Hoje' ? clock(at) : l;
}

// ---------------------------------------------------------------- formatting

// WhatsApp's markup: *bold*, _italic_, ~strike~, ```mono```, and links.
const EDGE_L = String.raw`(?<=^|[\s([{"'¡¿])`;
const EDGE_R = String.raw`(?=$|[\s.,;:!?)\]}"'])`;
const RULES = [
  { re: /```([\s\S]+?)```/, tag: 'code', flat: true },
  { re: new RegExp(EDGE_L + String.raw`\*(\S(?:[^*\n]*?\S)?)\*` + EDGE_R), tag: 'strong' },
  { re: new RegExp(EDGE_L + String.raw`_(\S(?:[^_\n]*?\S)?)_` + EDGE_R), tag: 'em' },
  { re: new RegExp(EDGE_L + String.raw`~(\S(?:[^~\n]*?\S)?)~` + EDGE_R), tag: 's' },
  { re: /\b(?:https?:\/\/|www\.)[^\s<>"]*[^\s<>".,;:!?)\]}'*_~]/i, link: true },
];

function format(text, parent) {
  while (text) {
    let best = null;
    for (const r of RULES) {
      const m = r.re.exec(text);
      if (m && (!best || m.index < best.m.index)) best = { r, m };
    }
    if (!best) {
      lines(text, parent);
      return parent;
    }
    const { r, m } = best;
    lines(text.slice(0, m.index), parent);
    if (r.link) {
      const href = /^www\./i.test(m[0]) ? 'https://' + m[0] : m[0];
      parent.append(h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, m[0]));
    } else if (r.flat) {
      parent.append(h(r.tag, m[1]));
    } else {
      parent.append(format(m[1], h(r.tag)));
    }
    text = text.slice(m.index + m[0].length);
  }
  return parent;
}

function lines(text, parent) {
  text.split('\n').forEach((l, i) => {
    if (i) parent.append(h('br'));
    if (l) parent.append(l);
  });
}

const plain = (text) => text.replace(/```|[*_~]/g, '');

// ---------------------------------------------------------------- people

function formatPhone(chat) {
  const d = /^\d+$/.test(chat) ? chat : '';
  if (d.startsWith('55') && (d.length === 12 || d.length === 13)) {
    const n = d.slice(4);
    return `+55 ${d.slice(2, 4)} ${n.slice(0, n.length - 4)}-${n.slice(-4)}`;
  }
  return d ? '+' + d : chat;
}

const display = (ch) => ch.name || formatPhone(ch.chat);

function initials(name) {
  const parts = name.replace(/[^\p{L}\p{N} ]/gu, '').trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return '#';
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

const COLORS = ['#6c5ce7', '#00a884', '#e17055', '#0984e3', '#d63031', '#00b894', '#fd79a8', '#e1a100', '#636e72'];
function color(s) {
  let n = 0;
  for (const c of s) n = Math.imul(n ^ c.codePointAt(0), 16777619) >>> 0;
  return COLORS[n % COLORS.length];
}

const PERSON = 'M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-4.4 0-8 2.2-8 5v2h16v-2c0-2.8-3.6-5-8-5z';

function avatar(ch) {
  if (!ch.name) return h('div.avatar', { 'aria-hidden': 'true' }, svg(PERSON, '0 0 24 24'));
  const a = h('div.avatar', { 'aria-hidden': 'true' }, initials(ch.name));
  a.style.background = color(ch.chat);
  return a;
}

function randomHex() {
  const b = new Uint8Array(10);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();
}

// ---------------------------------------------------------------- render

function typing(ch) {
  return ch.typingUntil > Date.now();
}

function refresh(id) {
  if (!id || id === state.current) renderConv();
  renderList();
}

function preview(m) {
  if (!m) return 'Nova conversa';
  const k = KINDS[m.kind];
  const t = plain(m.text || '').replace(/\s+/g, ' ').trim();
  return k ? `${k.icon} ${t || k.label}` : t;
}

function renderList() {
  const ul = $('#chat-list');
  const f = state.filter.toLowerCase();
  const chats = [...state.chats.values()]
    .filter((c) => !f || display(c).toLowerCase().includes(f) || c.chat.includes(f))
    .sort((a, b) => (b.last ? time(b.last) : b.created + 1e13) - (a.last ? time(a.last) : a.created + 1e13));
  ul.replaceChildren(...chats.map((ch) => {
    const t = typing(ch);
    const mine = ch.last && ch.last.from === 'customer';
    const li = h('li.chat-item', {
      role: 'option',
      tabindex: '0',
      'aria-selected': String(ch.chat === state.current),
      'data-chat': ch.chat,
      onclick: () => select(ch.chat),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(ch.chat); } },
    },
    avatar(ch),
    h('div.chat-body',
      h('div.chat-row', h('span.chat-name', display(ch)), ch.last ? h('span.chat-time', listTime(ch.last.at)) : null),
      h('div.chat-row',
        h('span.chat-preview' + (t ? '.typing' : ''), t ? 'digitando…' : [mine ? ticks(ch.last) : null, preview(ch.last)]),
        ch.unread ? h('span.badge', { 'aria-label': `${ch.unread} novas` }, String(ch.unread)) : null)));
    if (ch.unread) li.classList.add('unread');
    return li;
  }));
  $('#chat-list-empty').hidden = state.chats.size > 0;
  const unread = [...state.chats.values()].reduce((n, c) => n + c.unread, 0);
  document.title = (unread ? `(${unread}) ` : '') + 'WhatsApp simulado • Suporte Conta Azul';
}

function ticks(m) {
  if (m.failed) return h('span.tick.failed', { title: 'Não enviada' }, '!');
  if (m.pending) return h('span.tick.pending', { title: 'Enviando' }, svg(CLOCK, '0 0 16 16'));
  return h('span.tick' + (m.read ? '.read' : ''), { title: m.read ? 'Lida' : 'Entregue' }, svg(TICK2));
}

function renderConv(forceBottom = false) {
  const ch = state.current && state.chats.get(state.current);
  $('#welcome').hidden = !!ch;
  $('#conv').hidden = !ch;
  $('#app').classList.toggle('has-current', !!ch); // on a phone: the chat instead of the list
  if (!ch) return;
  const t = typing(ch);
  const status = $('#conv-status');
  status.textContent = t ? 'digitando…' : 'conta comercial';
  status.classList.toggle('typing', t);
  $('#as-name').textContent = display(ch);
  $('#as-phone').textContent = ch.name ? formatPhone(ch.chat) : '';

  const box = $('#messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const nodes = [h('div.notice', '🔒 Conversa simulada com o bot do suporte. As mensagens ficam só nesta máquina.')];
  if (!ch.messages.length && ch.loaded !== 'loading') {
    nodes.push(h('div.notice', 'Mande uma mensagem para começar, como um cliente faria.', h('br'),
      h('button.chip', { type: 'button', onclick: () => send(ch.chat, 'text', 'Oi') }, 'Oi')));
  }
  // Answer chips for the newest question the customer has not answered.
  let ask = -1;
  for (let i = ch.messages.length - 1; i >= 0; i--) {
    const m = ch.messages[i];
    if (m.from === 'customer') break;
    if (m.options && m.options.length) { ask = i; break; }
  }
  let prevDay = '';
  let prevFrom = '';
  ch.messages.forEach((m, i) => {
    const day = m.at.slice(0, 10);
    if (day !== prevDay) {
      nodes.push(h('div.day', h('span', dayLabel(m.at))));
      prevFrom = '';
    }
    const out = m.from === 'customer';
    const row = h('div.row.' + (out ? 'out' : 'in') + (prevFrom !== m.from ? '.first' : ''), bubble(m));
    nodes.push(row);
    if (i === ask) {
      nodes.push(h('div.chips', { role: 'group', 'aria-label': 'Respostas' },
        m.options.map((o) => h('button.chip', { type: 'button', title: `Responder ${o.key}`, onclick: () => send(ch.chat, 'text', o.key) },
          h('b', o.key), o.label))));
    }
    prevDay = day;
    prevFrom = m.from;
  });
  if (t) {
    nodes.push(h('div.row.in.typing-row' + (prevFrom !== 'support' ? '.first' : ''),
      h('div.bubble', { 'aria-label': 'digitando' }, h('div.dots', h('i'), h('i'), h('i')))));
  }
  box.replaceChildren(...nodes);
  if (forceBottom || atBottom) box.scrollTop = box.scrollHeight;
}

function bubble(m) {
  const out = m.from === 'customer';
  const meta = h('span.meta', clock(m.at), out ? ticks(m) : null);
  const b = h('div.bubble', { 'data-key': key(m) });
  const caption = () => (m.text ? format(m.text, h('div.text')) : '');
  if (m.file) {
    fileBubble(m, b, caption);
    b.append(meta);
    return b;
  }
  switch (m.kind || 'text') {
    case 'text':
      b.append(format(m.text, h('span.text')), h('span.spacer'));
      break;
    case 'sticker':
      b.classList.add('bare');
      b.append(h('div.sticker', { role: 'img', 'aria-label': 'Figurinha' }, '😺'));
      break;
    case 'image':
    case 'video':
      b.append(h('div.media-box.' + m.kind, { role: 'img', 'aria-label': KINDS[m.kind].label }, m.kind === 'video' ? '▶' : '🖼️'), caption(), h('span.spacer'));
      break;
    case 'location':
      b.append(h('div.media-box.location', { role: 'img', 'aria-label': 'Localização' }, '📍'),
        h('div.media-label', m.text || 'Localização atual'), h('span.spacer'));
      break;
    case 'audio': {
      const wave = h('div.wave');
      for (let i = 0; i < 34; i++) {
        const bar = h('i');
        bar.style.height = 4 + Math.round(Math.abs(Math.sin(i * 1.7) * 16)) + 'px';
        wave.append(bar);
      }
      b.append(h('div.audio', h('span.audio-play', '▶'), wave, h('span.media-label', '0:07')), caption());
      break;
    }
    case 'document':
      b.append(h('div.doc', h('span.doc-icon', 'PDF'),
        h('div', h('div.doc-name', (m.text && m.text.split('\n')[0]) || 'documento.pdf'), h('div.doc-sub', '1 página • 84 kB'))), h('span.spacer'));
      break;
    case 'contact':
      b.append(h('div.contact', h('div.avatar', '👤'), h('div', h('div.doc-name', m.text || 'Contato'), h('div.doc-sub', 'Contato'))), h('span.spacer'));
      break;
    default:
      b.append(h('span.text', (KINDS[m.kind] || { label: m.kind }).label), h('span.spacer'));
  }
  b.append(meta);
  return b;
}

// ---------------------------------------------------------------- actions

function select(id) {
  state.current = id;
  localStorage.setItem('sim.current', id);
  if (location.hash !== '#' + id) history.replaceState(null, '', '#' + id);
  const ch = chatOf(id);
  ch.unread = 0;
  renderConv(true);
  renderList();
  if (!ch.loaded) {
    ch.loaded = 'loading';
    loadHistory(id).catch((e) => { ch.loaded = false; toast(e); });
  }
  if (!touch.matches) $('#text').focus();
}

function sendText() {
  const ta = $('#text');
  const text = ta.value.trim();
  if (!text || !state.current) return;
  ta.value = '';
  grow();
  send(state.current, 'text', text);
}

function grow() {
  const ta = $('#text');
  ta.style.height = 'auto';
  ta.style.height = Math.min(ta.scrollHeight, 140) + 'px';
  $('#send').classList.toggle('ready', ta.value.trim() !== '');
}

function toggleAttach(open) {
  const menu = $('#attach-menu');
  const show = open ?? menu.hidden;
  menu.hidden = !show;
  $('#attach').setAttribute('aria-expanded', String(show));
  if (show) $('button', menu).focus();
}

function openNewChat() {
  const dlg = $('#new-dialog');
  const n = state.chats.size;
  let suggestion = 5547999990001 + n;
  while (state.chats.has(String(suggestion))) suggestion++;
  $('#new-phone').value = formatPhone(String(suggestion)).replace(/^\+/, '');
  $('#new-name').value = NAMES[n % NAMES.length];
  $('#new-error').hidden = true;
  dlg.showModal();
  $('#new-name').select();
}

function createChat(e) {
  e.preventDefault();
  const digits = $('#new-phone').value.replace(/\D/g, '');
  const name = $('#new-name').value.trim();
  const err = $('#new-error');
  if (digits.length < 10 || digits.length > 15) {
    err.textContent = 'Informe o número com DDI e DDD, por exemplo 55 47 99999-0001.';
    err.hidden = false;
    return;
  }
  const ch = chatOf(digits);
  if (name) {
    ch.name = name;
    saved[digits] = name;
    localStorage.setItem('sim.names', JSON.stringify(saved));
  }
  $('#new-dialog').close();
  select(digits);
}

let toastTimer = 0;
function toast(err) {
  const t = $('#toast');
  // fetch() fails with a TypeError when the demo is not reachable (stopped,
  // restarting): say so in Portuguese instead of the browser's English.
  t.textContent = err instanceof TypeError
    ? 'Sem conexão com o demo. Ele está rodando? Tentando de novo…'
    : err instanceof Error ? err.message : String(err);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
}

// ---------------------------------------------------------------- wiring

function init() {
  $('#text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !touch.matches) {
      e.preventDefault();
      sendText();
    }
  });
  $('#text').addEventListener('input', grow);
  $('#send').addEventListener('click', sendText);
  $('#attach').addEventListener('click', (e) => { e.stopPropagation(); toggleAttach(); });
  $('#file').addEventListener('change', (e) => {
    const f = e.target.files[0];
    const kind = e.target.dataset.kind || '';
    e.target.value = '';
    if (!f || !state.current) return;
    const ta = $('#text');
    const caption = ta.value.trim();
    ta.value = '';
    grow();
    sendFile(state.current, kind, f, caption);
  });
  $('#attach-menu').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-kind]');
    if (!b || !state.current) return;
    if (FILE_KINDS[b.dataset.kind] !== undefined) {
      // A real file: the phone's file picker, then the caption typed.
      const input = $('#file');
      input.accept = FILE_KINDS[b.dataset.kind];
      input.dataset.kind = b.dataset.kind;
      toggleAttach(false);
      input.click();
      return;
    }
    const ta = $('#text');
    const caption = ta.value.trim();
    ta.value = '';
    grow();
    toggleAttach(false);
    send(state.current, b.dataset.kind, caption);
  });
  document.addEventListener('click', (e) => {
    if (!e.target.closest('.attach-wrap')) toggleAttach(false);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('#attach-menu').hidden) { toggleAttach(false); $('#attach').focus(); }
  });
  $$('[data-action="new-chat"]').concat($('#new-chat')).forEach((b) => b.addEventListener('click', openNewChat));
  $('#new-form').addEventListener('submit', createChat);
  $('#back').addEventListener('click', () => {
    state.current = null;
    localStorage.removeItem('sim.current');
    history.replaceState(null, '', location.pathname);
    renderConv();
    renderList();
  });
  $('[data-action="cancel"]').addEventListener('click', () => $('#new-dialog').close());
  $('#search').addEventListener('input', (e) => { state.filter = e.target.value.trim(); renderList(); });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.current) { chatOf(state.current).unread = 0; renderList(); }
  });
  window.addEventListener('hashchange', () => {
    const id = decodeURIComponent(location.hash.slice(1));
    if (id && id !== state.current) select(id);
  });

  for (const id of Object.keys(saved)) chatOf(id);
  const start = decodeURIComponent(location.hash.slice(1)) || localStorage.getItem('sim.current');
  if (start && /^[0-9A-Za-z@._+-]{1,64}$/.test(start)) select(start);
  renderList();
  renderConv();
  loadChats().catch(toast);
  connect();
}

init();
