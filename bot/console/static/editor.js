// Fluxos: what content editors (and supervisors) need around flows.yaml:
// the version in force and its reload, the trail tree with how each trail
// did, "Testar fluxo" (a conversation with the real engine over a
// candidate file, in a throwaway store) and a red banner as soon as a
// saved file is refused. A plain module like app.js, whose helpers it
// uses; texts from the server go in with textContent, never innerHTML.

import { $, h, s, fill, api, toast, failed, rich, views, streams, fmtDay, fmtWhen, num, pct, addDays, plural, pluralWord, fileSize } from './app.js';

const when = (iso) => (iso ? fmtWhen.format(new Date(iso)) : '—');
const dayLabel = (d) => fmtDay.format(new Date(`${d}T12:00:00-03:00`));

const ed = {
  me: null,
  status: null,
  tab: 'arvore',
  built: false,
  days: 30,
  today: '', // the server's, from the first answer (the demo's clock may differ from the browser's)
  tree: null,
  selected: null,
  dismissed: null, // the refusal the editor closed the banner of
  test: null, // the open test conversation
  chat: [],
  sending: false,
};

const canEdit = () => ed.me && (ed.me.role === 'editor' || ed.me.role === 'supervisor');

// by says who loaded a version, in words.
function by(who) {
  if (!who) return '';
  if (who === 'startup') return 'início do serviço';
  if (who === 'file change') return 'arquivo salvo';
  if (who === 'SIGHUP') return 'sinal de recarga (SIGHUP)';
  if (who.startsWith('console: ')) return `${who.slice(9)}, pelo console`;
  return who;
}

// ---------------------------------------------------------------- problems

const problemRE = /^(.*?):(\d+):(\d+): (.*)$/;

// problemItem shows "FILE:LINE:COL: message" with its line up front; a
// click selects the line in the candidate being edited.
function problemItem(line, jump) {
  const m = line.match(problemRE);
  if (!m) return h('li', { text: line });
  const [, , ln, col, msg] = m;
  return h('li', jump ? { class: 'jump', tabindex: 0, title: 'Mostrar no texto', onclick: () => jump(Number(ln)), onkeydown: (ev) => { if (ev.key === 'Enter') jump(Number(ln)); } } : {},
    h('span.problem-pos', { text: `linha ${ln}, col. ${col}` }), h('span.problem-msg', { text: msg }));
}

function renderBanner(refused) {
  const b = $('#flows-banner');
  if (!refused || !canEdit() || ed.dismissed === refused.at) {
    b.hidden = true;
    return;
  }
  const more = refused.problems.length - 6;
  fill(b,
    h('div.flows-banner-head',
      h('strong', { text: 'O flows.yaml salvo foi recusado: a versão anterior continua em uso.' }),
      h('span.muted-on-red', { text: `${when(refused.at)} · ${by(refused.by)}` }),
      h('button.btn.btn-sm', { type: 'button', text: 'Ver no teste', onclick: () => { location.hash = '#/fluxos/testar'; checkFile(); } }),
      h('button.banner-close', { type: 'button', 'aria-label': 'Fechar aviso', title: 'Fechar', text: '×', onclick: () => { ed.dismissed = refused.at; b.hidden = true; } })),
    h('ul.problems', ...refused.problems.slice(0, 6).map((p) => problemItem(p))),
    more > 0 ? h('p.small', { text: `… e mais ${plural(more, 'problema', 'problemas')}.` }) : null);
  b.hidden = false;
}

// ---------------------------------------------------------------- status

async function loadStatus() {
  try {
    ed.status = await api('GET', '/api/flows');
  } catch (e) {
    if (e.status !== 404) failed(e);
    return;
  }
  renderBanner(ed.status.refused);
  if (ed.built) renderStatus();
}

function renderStatus() {
  const st = ed.status;
  if (!st) return;
  fill($('#flows-status'),
    h('span', 'Em uso: versão ', h('code', { text: st.version })),
    h('span', { text: plural(st.nodes, 'nó', 'nós') }),
    h('span', { text: `carregada em ${when(st.loaded_at)} (${by(st.loaded_by)})` }),
    st.refused ? h('span.pill.pill-refused', { text: 'arquivo salvo recusado' }) : null);
  renderVersions();
}

async function reloadFile() {
  const btn = $('#flows-reload');
  btn.disabled = true;
  try {
    const res = await api('POST', '/api/flows/reload');
    ed.status = res;
    renderBanner(res.refused);
    renderStatus();
    toast(res.changed ? `Nova versão em uso: ${res.version}.` : 'O arquivo salvo é a versão em uso: nada mudou.');
    if (res.changed && ed.tab === 'arvore') loadTree();
  } catch (e) {
    failed(e);
    loadStatus();
  } finally {
    btn.disabled = false;
  }
}

// ---------------------------------------------------------------- the view

function build() {
  const tab = (id, text) => h('button.chip', { type: 'button', dataset: { tab: id }, 'aria-pressed': 'false', text, onclick: () => { location.hash = `#/fluxos/${id}`; } });
  fill($('#view-fluxos'),
    h('header.view-head.flows-head',
      h('h2', { text: 'Fluxos' }),
      h('div.filters', { role: 'group', 'aria-label': 'Seção' }, tab('arvore', 'Árvore de trilhas'), tab('testar', 'Testar fluxo'), tab('versoes', 'Versões')),
      h('button#flows-reload.btn.btn-sm', { type: 'button', title: 'Lê o flows.yaml salvo no servidor e o coloca em uso, se for válido', text: 'Recarregar o arquivo', onclick: reloadFile }),
      h('div#flows-status.flows-status')),
    buildTree(),
    buildTest(),
    buildVersions());
  ed.built = true;
  renderStatus();
}

function showTab(tab) {
  ed.tab = ['arvore', 'testar', 'versoes'].includes(tab) ? tab : 'arvore';
  for (const b of document.querySelectorAll('#view-fluxos [data-tab]')) b.setAttribute('aria-pressed', String(b.dataset.tab === ed.tab));
  for (const p of document.querySelectorAll('#view-fluxos [data-panel]')) p.hidden = p.dataset.panel !== ed.tab;
}

views.fluxos = {
  allowed: (a) => a.role === 'editor' || a.role === 'supervisor',
  start(me) {
    ed.me = me;
    if (canEdit()) loadStatus();
    else renderBanner(null);
  },
  load(sub) {
    if (!ed.built) build();
    showTab(sub);
    loadStatus();
    if (ed.tab === 'arvore') return loadTree();
    return null;
  },
};

// A reload was tried (a save, SIGHUP, someone's button): tell at once.
streams.flows = (st) => {
  if (!canEdit()) return;
  const before = ed.status && ed.status.version;
  renderBanner(st.refused);
  loadStatus();
  if (before && st.version !== before) {
    toast(`Nova versão dos fluxos em uso: ${st.version}.`);
    if (ed.built && ed.tab === 'arvore' && !$('#view-fluxos').hidden) loadTree();
  }
};

// ---------------------------------------------------------------- tree

function buildTree() {
  const chip = (d) => h('button.chip', { type: 'button', dataset: { days: d }, 'aria-pressed': String(d === ed.days), text: `${d} dias`,
    onclick: () => { ed.days = d; setRange(d); loadTree(); } });
  const swatch = (cls, text) => h('span.tree-key', h('span', { class: `key ${cls}` }), text);
  return h('section.flows-panel', { dataset: { panel: 'arvore' } },
    h('div.tree-bar',
      h('div.filters', { role: 'group', 'aria-label': 'Período' }, chip(7), chip(30), chip(90)),
      h('label.range', 'De ', h('input#tree-from', { type: 'date', onchange: customRange })),
      h('label.range', 'até ', h('input#tree-to', { type: 'date', onchange: customRange })),
      h('div#tree-summary.tree-summary')),
    h('div.tree-legend',
      swatch('k-menu', 'Menu'), swatch('k-trail', 'Trilha'), swatch('k-handoff', 'Encantador (fila)'), swatch('k-tickets', 'Meus chamados'), swatch('k-ref', 'Leva a um nó desenhado em outro lugar'),
      h('span.tree-key', h('span.key-bar', h('span.good'), h('span.mid'), h('span.bad')), 'útil: quantos disseram que a trilha resolveu')),
    h('p.tree-note', { text: 'Trilha: “útil: X de Y” = das Y vezes em que o bot perguntou “resolveu?” ao fim dela, X o cliente disse que sim e avaliou. '
      + 'Menu: soma das trilhas desenhadas abaixo dele. O banco guarda só a última trilha de cada conversa, não os menus por onde ela passou: '
      + 'quem saiu de um menu sem chegar a uma trilha não entra na conta. Por isso “pelo menos”.' }),
    h('div.tree-wrap', h('div#tree-canvas.tree-canvas', { tabindex: 0, 'aria-label': 'Árvore de trilhas' }), h('aside#tree-details.tree-details')),
    h('div#tree-gone'),
    h('div#tree-unmatched'),
    h('div#tree-asked'));
}

function setRange(days) {
  if (!ed.today) return; // the first answer brings the server's default range
  $('#tree-to').value = ed.today;
  $('#tree-from').value = addDays(ed.today, 1 - days);
}

function customRange() {
  ed.days = 0;
  for (const b of document.querySelectorAll('#view-fluxos [data-days]')) b.setAttribute('aria-pressed', 'false');
  loadTree();
}

async function loadTree() {
  for (const b of document.querySelectorAll('#view-fluxos [data-days]')) b.setAttribute('aria-pressed', String(Number(b.dataset.days) === ed.days));
  const from = $('#tree-from').value;
  const to = $('#tree-to').value;
  try {
    ed.tree = await api('GET', `/api/flows/tree${from && to ? `?from=${from}&to=${to}` : ''}`);
  } catch (e) { failed(e); return; }
  if (!ed.today) ed.today = ed.tree.to;
  $('#tree-from').value = ed.tree.from;
  $('#tree-to').value = ed.tree.to;
  renderTree();
}

// Node boxes, in px.
const W = 264;
const GAPX = 64;
const GAPY = 12;
const PAD = 18;
const HEIGHT = { menu: 72, trail: 86, handoff: 54, tickets: 54, ref: 34 };

// clip shortens a label to fit a box (SVG text does not wrap).
function clip(text, n) {
  const t = String(text || '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

// layout turns the tree into boxes: left to right by depth, each node on
// the row of its first child (the main menu stays at the top, in view),
// the blocks of children stacked without overlapping.
function layout(tree) {
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const make = (n, edge) => {
    const item = { node: n, edge, kids: [], h: HEIGHT[n.type] || 54 };
    for (const e of n.children) {
      const to = byId.get(e.to);
      if (!to) continue;
      if (e.tree) item.kids.push(make(to, e));
      else if (!e.option) item.next = to; // a trail's next drawn elsewhere: said in its box
      else item.kids.push({ node: to, edge: e, ref: true, kids: [], h: HEIGHT.ref });
    }
    if (item.next) item.h += 18;
    return item;
  };
  const roots = [byId.get(tree.root), ...tree.nodes.filter((n) => !n.parent && n.id !== tree.root)].filter(Boolean).map((n) => make(n, null));
  const slot = (it) => {
    const kids = it.kids.reduce((a, k) => a + slot(k), 0) + GAPY * Math.max(0, it.kids.length - 1);
    it.slot = Math.max(it.h, kids);
    it.kidsH = kids;
    return it.slot;
  };
  const boxes = [];
  let maxDepth = 0;
  const place = (it, top, depth) => {
    it.x = PAD + depth * (W + GAPX);
    it.y = top;
    it.depth = depth;
    maxDepth = Math.max(maxDepth, depth);
    boxes.push(it);
    let y = top;
    for (const k of it.kids) {
      place(k, y, depth + 1);
      y += k.slot + GAPY;
    }
  };
  let top = PAD;
  for (const r of roots) {
    slot(r);
    place(r, top, 0);
    top += r.slot + GAPY * 3;
  }
  return { boxes, width: PAD * 2 + (maxDepth + 1) * W + maxDepth * GAPX, height: top - GAPY * 3 + PAD };
}

function share(t) {
  if (!t || !t.reached) return 'none';
  if (t.deflection >= 0.6) return 'good';
  if (t.deflection >= 0.3) return 'mid';
  return 'bad';
}

// nodeShape draws one box at (0, 0) in its group.
function nodeShape(it) {
  const n = it.node;
  const g = [];
  const text = (x, y, cls, t, n2 = 34) => s('text', { x, y, class: cls }, clip(t, n2));
  if (it.ref) {
    g.push(s('rect', { class: 'box ref', width: W, height: it.h, rx: 8 }));
    g.push(text(12, 21, 'ref-text', `↪ ${n.title}`, 36));
    return g;
  }
  switch (n.type) {
    case 'menu': {
      const m = n.menu || { reached: 0, solved: 0, trails: 0 };
      g.push(s('rect', { class: 'box menu', width: W, height: it.h, rx: 8 }));
      g.push(s('rect', { class: 'menu-accent', width: 5, height: it.h, rx: 2 }));
      g.push(text(14, 22, 'title', n.title));
      g.push(text(14, 41, 'sub', `Menu · ${plural(n.children.filter((c) => c.option).length, 'opção', 'opções')}`));
      g.push(text(14, 60, 'fig', m.reached
        ? `≥ ${num(m.reached)} em trilhas abaixo · útil ${pct(m.solved / m.reached)}`
        : 'nenhuma trilha abaixo no período', 40));
      break;
    }
    case 'trail': {
      const t = n.trail || { reached: 0 };
      g.push(s('rect', { class: 'box trail', width: W, height: it.h, rx: 12 }));
      g.push(text(12, 22, 'title', n.title));
      if (t.reached) {
        g.push(s('text', { x: 12, y: 42, class: 'fig' }, s('tspan', { class: 'fig-strong' }, `útil: ${num(t.solved)} de ${num(t.reached)}`), ` · ${pct(t.deflection)}`));
        const csat = t.rated ? ` · ★ ${t.csat.toLocaleString('pt-BR', { maximumFractionDigits: 1 })} (${t.rated})` : '';
        g.push(text(12, 60, 'sub', `→ Encantador: ${num(t.to_person)}${csat}`, 40));
      } else {
        g.push(text(12, 42, 'sub', 'sem conversas no período', 40));
        g.push(text(12, 60, 'sub', plural(n.messages || 0, 'mensagem', 'mensagens'), 40));
      }
      if (it.next) g.push(text(12, 78, 'ref-text', `depois → ${it.next.title}`, 38));
      const bw = W - 24;
      g.push(s('rect', { class: 'bar-track', x: 12, y: it.h - 16, width: bw, height: 7, rx: 3.5 }));
      if (t.reached) g.push(s('rect', { class: `bar-fill ${share(t)}`, x: 12, y: it.h - 16, width: Math.max(3, bw * t.deflection), height: 7, rx: 3.5 }));
      break;
    }
    case 'handoff': {
      const c = 14;
      g.push(s('path', { class: 'box handoff', d: `M${c},0 H${W - c} L${W},${it.h / 2} L${W - c},${it.h} H${c} L0,${it.h / 2} Z` }));
      g.push(text(22, 23, 'title', n.title, 32));
      g.push(text(22, 41, 'sub', 'Passa para um Encantador (fila)', 36));
      break;
    }
    case 'tickets': {
      g.push(s('path', { class: 'box tickets', d: `M0,8 a6,6 0 0 1 6,-6 H70 l8,8 H${W - 6} a6,6 0 0 1 6,6 V${it.h - 6} a6,6 0 0 1 -6,6 H6 a6,6 0 0 1 -6,-6 Z` }));
      g.push(text(12, 28, 'title', n.title));
      g.push(text(12, 45, 'sub', 'Meus chamados: o cliente vê seus chamados', 38));
      break;
    }
    default:
      g.push(s('rect', { class: 'box', width: W, height: it.h, rx: 8 }));
      g.push(text(12, 22, 'title', n.title));
  }
  return g;
}

function tooltip(it) {
  const n = it.node;
  const lines = [`${n.title} (${n.id}) · linha ${n.line} do flows.yaml`];
  if (it.ref) lines.unshift('Leva a um nó desenhado em outro lugar da árvore:');
  if (n.trail && n.trail.reached) lines.push(`útil: ${n.trail.solved} de ${n.trail.reached} (${pct(n.trail.deflection)}); ${plural(n.trail.to_person, 'foi', 'foram')} para um Encantador`);
  if (n.menu && n.menu.reached) lines.push(`pelo menos ${plural(n.menu.reached, 'passou', 'passaram')} por aqui (${n.menu.trails === 1 ? 'a trilha abaixo' : `soma das ${n.menu.trails} trilhas abaixo`})`);
  return lines.join('\n');
}

// elbow joins a parent to a child: out to a trunk halfway, along it, in
// to the child, with rounded corners. Siblings share the trunk.
function elbow(x1, y1, x2, y2) {
  const mid = x1 + (x2 - x1) / 2 - 8;
  const dy = y2 - y1;
  if (Math.abs(dy) < 1) return `M${x1},${y1} H${x2}`;
  const r = Math.min(8, Math.abs(dy) / 2);
  const sy = Math.sign(dy);
  return `M${x1},${y1} H${mid - r} Q${mid},${y1} ${mid},${y1 + sy * r} V${y2 - sy * r} Q${mid},${y2} ${mid + r},${y2} H${x2}`;
}

function renderTree() {
  const tree = ed.tree;
  const { boxes, width, height } = layout(tree);
  const svg = s('svg', { class: 'tree', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Árvore de trilhas do flows.yaml' });
  const edges = s('g', { class: 'edges' });
  const nodes = s('g', { class: 'nodes' });
  const parentOf = new Map();
  for (const it of boxes) for (const k of it.kids) parentOf.set(k, it);
  for (const it of boxes) {
    const p = parentOf.get(it);
    if (p) {
      const x1 = p.x + W; const y1 = p.y + p.h / 2;
      const x2 = it.x; const y2 = it.y + it.h / 2;
      const next = !it.edge.option;
      edges.append(s('path', { class: `edge${next ? ' edge-next' : ''}${it.ref ? ' edge-ref' : ''}`, d: elbow(x1, y1, x2, y2) }));
      if (next) {
        edges.append(s('text', { class: 'edge-label', x: x2 - 8, y: y2 - 7, 'text-anchor': 'end' }, 'depois'));
      } else {
        edges.append(s('circle', { class: 'opt', cx: x2 - 16, cy: y2, r: 10 }));
        edges.append(s('text', { class: 'opt-num', x: x2 - 16, y: y2 + 4, 'text-anchor': 'middle' }, String(it.edge.option)));
      }
    }
    const g = s('g', {
      class: `tn tn-${it.ref ? 'ref' : it.node.type}${ed.selected === it.node.id && !it.ref ? ' selected' : ''}`,
      transform: `translate(${it.x},${it.y})`, tabindex: 0, role: 'button',
    }, s('title', {}, tooltip(it)), ...nodeShape(it));
    g.dataset.node = it.node.id;
    if (it.ref) g.dataset.ref = '1';
    const pick = () => select(it.node.id, it.ref);
    g.addEventListener('click', pick);
    g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(); } });
    nodes.append(g);
  }
  svg.append(edges, nodes);
  fill($('#tree-canvas'), svg);

  const tt = tree.totals;
  fill($('#tree-summary'),
    h('span', h('strong', { text: num(tt.conversations) }), pluralWord(tt.conversations, ' conversa', ' conversas')),
    h('span', h('strong', { text: num(tt.reached) }), pluralWord(tt.reached, ' chegou', ' chegaram'), ' ao fim de uma trilha'),
    h('span', 'útil: ', h('strong', { text: `${num(tt.solved)} de ${num(tt.reached)}` }), tt.reached ? ` (${pct(tt.solved / tt.reached)})` : ''),
    h('span', h('strong', { text: num(tt.to_person) }), pluralWord(tt.to_person, ' seguiu', ' seguiram'), ' para um Encantador'),
    h('span.muted', { text: `${dayLabel(tree.from)} a ${dayLabel(tree.to)}` }));
  fill($('#tree-gone'), ...(tree.gone.length ? [
    h('h3', { text: 'Trilhas com conversas no período que não existem mais no arquivo' }),
    h('ul.gone', ...tree.gone.map((g) => h('li', h('code', { text: g.topic }), ` útil: ${g.solved} de ${g.reached} (${pct(g.deflection)})`)))] : []));
  fill($('#tree-unmatched'), unmatchedTable(tree.unmatched));
  fill($('#tree-asked'), askedTable(tree.asked));
  renderDetails();
}

// unmatchedTable lists what customers wrote that the bot answered with
// "não entendi": phrases to turn into examples.
function unmatchedTable(phrases) {
  return h('section.unmatched',
    h('h3', { text: 'Frases que o bot não entendeu' }),
    h('p.muted', { text: 'O que os clientes escreveram no período e o bot respondeu com “não entendi” (sem acentos nem pontuação), das mais escritas. Boas candidatas a exemplos (examples) no flows.yaml.' }),
    phrases.length
      ? h('div.table-scroll', h('table.table.unmatched-table',
        h('thead', h('tr', h('th', { text: 'Frase' }), h('th.num', { text: 'Vezes' }), h('th', { text: 'Última' }))),
        h('tbody', ...phrases.map((p) => h('tr', h('td', { text: p.text }), h('td.num', { text: num(p.count) }), h('td', { text: when(p.last) }))))))
      : h('p.chart-empty', { text: 'Nenhuma no período.' }));
}

// askedTable lists what customers wrote that the bot answered with a
// question, and what they chose: a text often confirmed is an example to
// add, so the bot goes straight there.
function askedTable(asked) {
  const chosen = (a) => (a.chosen === '-' ? 'sem resposta' : a.chosen === '' ? 'Outro assunto' : a.chosen_title);
  return h('section.asked',
    h('h3', { text: 'Frases em que o bot perguntou o assunto' }),
    h('p.muted', { text: 'O que os clientes escreveram no período e o bot respondeu com “É sobre…?”, e o que escolheram. Uma frase que os clientes confirmam sempre é uma boa candidata a exemplo (examples) do nó escolhido: com ela, o bot vai direto.' }),
    asked.length
      ? h('div.table-scroll', h('table.table.asked-table',
        h('thead', h('tr', h('th', { text: 'Frase' }), h('th', { text: 'O bot perguntou' }), h('th', { text: 'O cliente escolheu' }), h('th.num', { text: 'Vezes' }), h('th', { text: 'Última' }))),
        h('tbody', ...asked.map((a) => h('tr', h('td', { text: a.text }), h('td', { text: a.asked.join(' ou ') }), h('td', { text: chosen(a) }), h('td.num', { text: num(a.count) }), h('td', { text: when(a.last) }))))))
      : h('p.chart-empty', { text: 'Nenhuma no período.' }));
}

function select(id, ref) {
  ed.selected = id;
  for (const g of document.querySelectorAll('#tree-canvas .tn')) g.classList.toggle('selected', g.dataset.node === id && !g.dataset.ref);
  if (ref) {
    const real = document.querySelector(`#tree-canvas .tn[data-node="${CSS.escape(id)}"]:not([data-ref])`);
    if (real) real.scrollIntoView({ block: 'center', inline: 'center', behavior: 'smooth' });
  }
  renderDetails();
}

function renderDetails() {
  const box = $('#tree-details');
  const n = ed.tree && ed.tree.nodes.find((x) => x.id === ed.selected);
  if (!n) {
    fill(box, h('p.muted', { text: 'Clique num nó para ver os detalhes.' }));
    return;
  }
  const kind = { menu: 'Menu', trail: 'Trilha', handoff: 'Passagem para um Encantador', tickets: 'Meus chamados' }[n.type] || n.type;
  const rows = [['Tipo', kind], ['Id', n.id], ['No arquivo', `linha ${n.line}`]];
  if (n.trail) {
    const t = n.trail;
    rows.push(['Chegaram ao fim', num(t.reached)], ['Útil', t.reached ? `${t.solved} de ${t.reached} (${pct(t.deflection)})` : '—'],
      ['Para um Encantador', num(t.to_person)], ['Avaliação', t.rated ? `${t.csat.toLocaleString('pt-BR', { maximumFractionDigits: 1 })} ★ (${t.rated})` : '—'],
      ['Mensagens', String(n.messages || 0)]);
  }
  if (n.menu) {
    const m = n.menu;
    rows.push(['Trilhas abaixo', String(m.trails)], ['Passaram (pelo menos)', num(m.reached)],
      ['Útil', m.reached ? `${m.solved} de ${m.reached} (${pct(m.solved / m.reached)})` : '—'], ['Para um Encantador', num(m.to_person)]);
  }
  fill(box,
    h('h3', { text: n.title }),
    n.text ? h('p.details-text', { text: n.text }) : null,
    h('dl.facts', ...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
    n.children.length ? h('div', h('h4', { text: 'Opções' }), h('ol.opts', ...n.children.filter((c) => c.option).map((c) => h('li', { text: c.label })))) : null);
}

// ---------------------------------------------------------------- test

function buildTest() {
  const ta = h('textarea#flow-source', { spellcheck: 'false', wrap: 'off', 'aria-label': 'Conteúdo do flows.yaml a testar', placeholder: 'Cole aqui o flows.yaml a testar, ou clique em “Copiar a versão em uso”.' });
  const gutter = h('pre.gutter', { 'aria-hidden': 'true' });
  ta.addEventListener('input', () => { renderGutter(); markStale(); });
  ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });
  const useFile = h('input#test-use-file', { type: 'checkbox', onchange: () => { if (useFile.checked) showFile(); else ta.readOnly = false; markStale(); } });
  return h('section.flows-panel.test-grid', { dataset: { panel: 'testar' }, hidden: true },
    h('div.test-source.card-like',
      h('div.test-head',
        h('h3', { text: 'Versão candidata' }),
        h('button.btn.btn-sm', { type: 'button', text: 'Copiar a versão em uso', onclick: () => loadSource('') }),
        h('label.switch', { title: 'Testa o flows.yaml salvo no servidor, mesmo que ainda não esteja em uso' }, useFile, h('span.switch-track', { 'aria-hidden': 'true' }), ' Usar o arquivo salvo no servidor')),
      h('div.code', gutter, ta),
      h('div.test-actions',
        h('label.range', { title: 'Horário de Brasília. Vazio: agora.' }, 'Simular em ', h('input#test-at', { type: 'datetime-local' })),
        h('button#test-validate.btn', { type: 'button', text: 'Validar', onclick: validate }),
        h('button#test-start.btn.btn-primary', { type: 'button', text: 'Iniciar conversa de teste', onclick: startTest })),
      h('div#test-result.test-result')),
    h('div.test-phone',
      h('header.phone-head',
        h('div.phone-avatar', { 'aria-hidden': 'true', text: 'CA' }),
        h('div', h('strong', { text: 'Suporte Conta Azul (teste)' }), h('div#test-where.phone-sub', { text: 'Nenhuma conversa de teste aberta' }))),
      h('div#test-chat.phone-chat', { 'aria-live': 'polite' }),
      h('div#test-chips.phone-chips'),
      h('form#test-form.phone-composer', { autocomplete: 'off', onsubmit: (ev) => { ev.preventDefault(); sendTest($('#test-text').value); } },
        h('input#test-text', { type: 'text', placeholder: 'Escreva como o cliente…', 'aria-label': 'Mensagem do cliente', disabled: true }),
        h('button#test-send.btn.btn-primary.btn-sm', { type: 'submit', text: 'Enviar', disabled: true })),
      h('div.phone-tools',
        h('button#test-wait.btn.btn-sm.btn-ghost', { type: 'button', text: '⏱ Esperar 10 min', title: 'Avança o relógio do teste: lembretes e encerramento por inatividade disparam', disabled: true, onclick: () => sendTest('', '10m') }),
        h('button#test-end.btn.btn-sm.btn-ghost', { type: 'button', text: 'Encerrar teste', disabled: true, onclick: () => endTest() }))));
}

function renderGutter() {
  const ta = $('#flow-source');
  const n = ta.value.split('\n').length;
  const g = document.querySelector('.code .gutter');
  if (Number(g.dataset.lines) === n) return;
  g.dataset.lines = n;
  g.textContent = Array.from({ length: n }, (_, i) => i + 1).join('\n');
  g.scrollTop = ta.scrollTop;
}

// jumpTo selects a line of the candidate and scrolls to it.
function jumpTo(line) {
  const ta = $('#flow-source');
  const lines = ta.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0);
  ta.focus();
  ta.setSelectionRange(start, start + (lines[line - 1] || '').length);
  const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
  ta.scrollTop = Math.max(0, (line - 4) * lh);
}

function markStale() {
  const r = $('#test-result');
  if (r.firstChild) r.classList.add('stale');
}

async function loadSource(version) {
  try {
    const src = await api('GET', `/api/flows/source${version ? `?version=${encodeURIComponent(version)}` : ''}`);
    const ta = $('#flow-source');
    $('#test-use-file').checked = false;
    ta.readOnly = false;
    ta.value = src.source;
    renderGutter();
    ta.scrollTop = 0;
    fill($('#test-result'), h('p.muted', { text: `Copiada a versão ${src.version}. Mude o que quiser e clique em Validar ou em Iniciar conversa de teste.` }));
  } catch (e) { failed(e); }
}

// showFile puts the file saved on the server in the text box, read-only:
// it is what "use the file" tests.
async function showFile() {
  const ta = $('#flow-source');
  ta.readOnly = true;
  try {
    const src = await api('GET', '/api/flows/source?file=1');
    if (!$('#test-use-file').checked) return;
    ta.value = src.source;
    renderGutter();
  } catch (e) { failed(e); }
}

function candidate() {
  if ($('#test-use-file').checked) return { use_file: true };
  return { source: $('#flow-source').value };
}

function renderChanges(changes) {
  if (!changes.length) return h('p.muted', { text: 'Nenhuma mudança em relação à versão em uso.' });
  const what = { '+': 'novo', '-': 'removido', '~': 'alterado' };
  return h('ul.changes', ...changes.map((c) => h('li', { class: `chg chg-${{ '+': 'add', '-': 'del', '~': 'mod' }[c.op]}` },
    h('span.chg-op', { text: what[c.op] || c.op }),
    h('code.chg-path', { text: c.path }),
    c.op === '~' ? h('div.chg-texts', h('del', { text: c.old }), h('ins', { text: c.new }))
      : h('div.chg-texts', { text: c.op === '+' ? c.new : c.old }))));
}

function renderProblems(err) {
  const probs = err.problems || [];
  return [h('div.result-bad', { text: `${err.message} Corrija e valide de novo: nada foi posto em uso.` }),
    h('ul.problems', ...probs.map((p) => problemItem(p, jumpTo)))];
}

// apiProblems is api() with the problems of a 422 on the error.
async function apiProblems(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (e) {
    e.problems = (e.data && e.data.problems) || [];
    throw e;
  }
}

// validate checks the candidate and shows the result; it returns the
// problems of an invalid one.
async function validate() {
  const r = $('#test-result');
  r.classList.remove('stale');
  try {
    const v = await apiProblems('POST', '/api/flows/validate', candidate());
    fill(r,
      h('div.result-ok', { text: v.same ? `✓ Arquivo válido: é a versão em uso (${v.version}).` : `✓ Arquivo válido · versão ${v.version} · ${plural(v.nodes, 'nó', 'nós')} · ${plural(v.changes.length, 'mudança', 'mudanças')}:` }),
      v.same ? null : renderChanges(v.changes));
    return [];
  } catch (e) {
    if (e.status === 422) fill(r, ...renderProblems(e));
    else failed(e);
    return e.problems || [];
  }
}

// checkFile validates the file saved on the server and shows its first problem.
async function checkFile() {
  if (!ed.built) build();
  $('#test-use-file').checked = true;
  const [, probs] = await Promise.all([showFile(), validate()]);
  const m = probs.length && probs[0].match(problemRE);
  if (m) jumpTo(Number(m[2]));
}

async function startTest() {
  const r = $('#test-result');
  r.classList.remove('stale');
  const body = candidate();
  const at = $('#test-at').value;
  if (at) body.at = `${at.length === 16 ? `${at}:00` : at}-03:00`;
  if (ed.test) await endTest(true);
  try {
    const t = await apiProblems('POST', '/api/flows/test', body);
    ed.test = t;
    ed.chat = [];
    const c = t.check;
    fill(r,
      h('div.result-ok', { text: c.same ? `✓ Testando a versão em uso (${t.version}).` : `✓ Testando a versão ${t.version} · ${plural(c.changes.length, 'mudança', 'mudanças')} em relação à versão em uso:` }),
      c.same ? null : renderChanges(c.changes));
    renderChat();
    $('#test-text').focus();
  } catch (e) {
    if (e.status === 422) fill(r, ...renderProblems(e));
    else failed(e);
  }
}

async function sendTest(text, wait) {
  const t = ed.test;
  text = (text || '').trim();
  if (!t || ed.sending || (!text && !wait)) return;
  ed.sending = true;
  if (text) ed.chat.push({ from: 'customer', text });
  if (wait) ed.chat.push({ from: 'clock', text: `⏱ ${wait === '10m' ? '10 minutos' : wait} depois…` });
  $('#test-text').value = '';
  renderChat();
  try {
    const res = await api('POST', `/api/flows/test/${t.session}/messages`, wait ? { text, wait } : { text });
    ed.test = { ...t, ...res };
    if (res.route && text) ed.chat.filter((m) => m.from === 'customer').pop().route = res.route;
    for (const m of res.replies) ed.chat.push({ from: 'bot', text: m.text, options: m.options, file: m.file });
    if (!res.replies.length && wait) ed.chat.push({ from: 'clock', text: 'Nada aconteceu nesse tempo.' });
  } catch (e) {
    if (e.status === 404) { ed.test = null; toast('O teste terminou: ficou parado tempo demais ou deu lugar a um teste mais novo seu. Comece outro.', 'error'); } else failed(e);
  } finally {
    ed.sending = false;
    renderChat();
    if (ed.test) $('#test-text').focus();
  }
}

async function endTest(quiet) {
  const t = ed.test;
  ed.test = null;
  if (t) {
    try { await api('DELETE', `/api/flows/test/${t.session}`); } catch (e) { if (e.status !== 404 && !quiet) failed(e); }
  }
  if (quiet !== true) renderChat();
}

// A page going away (reloaded, closed, another site) ends its test: left
// open, it would hold one of the editor's few tests until it idled out.
// A keepalive fetch outlives the page and, unlike sendBeacon, carries the
// header the console asks of requests made with the cookie.
window.addEventListener('pagehide', () => {
  const t = ed.test;
  if (!t) return;
  ed.test = null;
  fetch(`/api/flows/test/${t.session}`, {
    method: 'DELETE', keepalive: true, credentials: 'same-origin', headers: { 'X-Requested-With': 'suporte' },
  }).catch(() => {});
});
// Back from the browser's page cache, the page shows its test as ended.
window.addEventListener('pageshow', (ev) => { if (ev.persisted && ed.built) renderChat(); });

function renderChat() {
  const t = ed.test;
  const open = !!t;
  for (const id of ['#test-text', '#test-send', '#test-wait', '#test-end']) $(id).disabled = !open;
  const where = $('#test-where');
  if (!open) {
    where.textContent = ed.chat.length ? 'Teste encerrado' : 'Nenhuma conversa de teste aberta';
  } else {
    const node = t.node ? `em “${t.node_title || t.node}”` : 'início';
    where.textContent = `versão ${t.version} · ${node} · ${when(t.at)}, ${t.hours}`;
  }
  const chat = $('#test-chat');
  if (!ed.chat.length) {
    fill(chat, h('div.phone-empty', open
      ? h('p', 'Escreva como um cliente. Comece com ', h('button.chip', { type: 'button', text: 'oi', onclick: () => sendTest('oi') }), '.')
      : h('p', { text: 'Valide a versão candidata e clique em “Iniciar conversa de teste”: o bot de verdade responde com ela, num banco descartável. Nada chega aos clientes.' })));
  } else {
    fill(chat, ...ed.chat.flatMap((m) => (m.from === 'clock'
      ? [h('div.bubble-note', { text: m.text })]
      : [h(`div.bubble.bubble-${m.from}`, { dataset: { from: m.from } },
        m.file ? h('div.bubble-file', { text: `📎 ${m.file.name} · ${fileSize(m.file.bytes)}` }) : null,
        m.text ? h('div.bubble-text', rich(m.text)) : null), m.route ? routeWhy(m.route) : null].filter(Boolean))));
  }
  chat.scrollTop = chat.scrollHeight;
  const last = [...ed.chat].reverse().find((m) => m.from === 'bot');
  const opts = open && last && last.options && last.options.length ? last.options : [];
  fill($('#test-chips'), ...opts.map((o) => h('button.chip.opt-chip', { type: 'button', title: `Responde “${o.key}”`, text: `${o.key}. ${o.label}`, onclick: () => sendTest(o.key) })));
}

// routeWhy explains how the bot read a text written at a menu: what it
// did, then the nearest nodes with their scores and the words behind them
// (the console's `suporte flows route`).
// percent shows a guess's probability; a small doubt is not shown as
// none, since 0,3% of "nenhum assunto" is why a trail is asked about.
function percent(p) {
  const fmt = (x, d) => `${(x * 100).toFixed(d).replace('.', ',')}%`;
  if (p > 0 && p < 0.001) return '<0,1%';
  if (p < 1 && p > 0.999) return '>99,9%';
  return p < 0.1 || p > 0.9 ? fmt(p, 1) : fmt(p, 0);
}

function routeWhy(r) {
  const names = r.nodes.map((n) => `“${n.title}”`).join(' ou ');
  const said = {
    option: `opção ${r.option} do menu: ${names}`,
    go: `foi direto para ${names}`,
    ask: `perguntou: é sobre ${names}?`,
    none: 'não entendeu',
  }[r.answer];
  const how = { same: 'igual a', stem: 'mesmo radical de', typo: 'erro de digitação de', meaning: 'mesmo sentido de' };
  return h('details.route-why',
    h('summary', { text: `Como o bot leu: ${said}` }),
    r.reason ? h('p.muted', { text: { menu: 'A mensagem pede o menu: ele é mostrado de novo.', title: 'A mensagem é o título inteiro deste nó.' }[r.reason] }) : null,
    r.glossary.length ? h('p.muted', { text: `Glossário: ${r.glossary.map((g) => `“${g.term}” lido como “${g.means}” (linha ${g.line})`).join('; ')}` }) : null,
    r.unknown.length ? h('p.muted', { text: `Palavras que nenhum nó conhece: ${r.unknown.join(', ')}` }) : null,
    r.personal.length ? h('p.muted', { text: `Fala da vida pessoal do cliente (${r.personal.join(', ')}): só entra numa trilha perguntando` }) : null,
    r.learned.length ? h('p.muted.route-learned', { text: `Pelo que os clientes costumam escrever: ${r.learned.map((g) => `${g.id === '-' ? 'nenhum assunto' : g.title} ${percent(g.p)}`).join(', ')}${r.why.length ? ` (pesaram: ${r.why.join(', ')})` : ''}. Numa segunda leitura, chance de não ser de assunto nenhum: ${percent(r.outside)}.` }) : null,
    r.ranking.length
      ? h('ol', ...r.ranking.map((c) => h('li',
        h('strong', { text: c.title }), ` · nota ${c.score.toFixed(2)} (parecida ${c.likeness.toFixed(2)}, cobre ${c.coverage.toFixed(2)})`,
        h('div.muted', { text: `mais perto de “${c.phrase}”${c.from ? ` (do menu ${c.from})` : ''}` }),
        c.against ? h('div.muted', { text: `“${c.against}”: outra ação que a deste nó, nota reduzida` }) : null,
        c.ruled ? h('div.muted', { text: `“${c.ruled}”: a mensagem descarta este nó, nota reduzida` }) : null,
        h('ul', ...c.matches.map((w) => h('li', { text: `${w.gloss ? `${w.gloss} (glossário: ${w.word})` : w.word}: ${how[w.how]} “${w.term}” em “${w.source}”${w.from ? `, do menu ${w.from}` : ''} (+${w.weight.toFixed(2)})` }))))))
      : h('p.muted', { text: 'Nenhum nó tem palavras desta frase.' }));
}

// ---------------------------------------------------------------- versions

function buildVersions() {
  return h('section.flows-panel', { dataset: { panel: 'versoes' }, hidden: true },
    h('p.muted', { text: 'As últimas versões do flows.yaml postas em uso por este serviço. Abra uma no teste para comparar com a versão em uso ou conversar com ela.' }),
    h('table.table.versions', h('thead', h('tr', h('th', { text: 'Versão' }), h('th', { text: 'Em uso desde' }), h('th', { text: 'Por' }), h('th'))), h('tbody#versions-body')));
}

function renderVersions() {
  const body = document.getElementById('versions-body');
  if (!body || !ed.status) return;
  fill(body, ...ed.status.versions.map((v) => h('tr',
    h('td', h('code', { text: v.version }), v.current ? h('span.pill.pill-resolvido', { text: 'em uso' }) : null),
    h('td', { text: when(v.loaded_at) }),
    h('td', { text: by(v.loaded_by) }),
    h('td', h('button.btn.btn-sm', { type: 'button', text: 'Abrir no teste', onclick: (ev) => { ev.stopPropagation(); location.hash = '#/fluxos/testar'; loadSource(v.version); } })))));
}
