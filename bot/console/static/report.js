// Relatórios: the managers' report (what `suporte report` prints) for a
// date range, with small SVG charts. Supervisors only. It reuses app.js's
// helpers and chart functions.

import { $, h, s, fill, api, failed, barChart, csatChart, legend, niceMax, chartW, narrow, views, fmtWhen, num, pct, addDays, plural } from './app.js';

const dayLabel = (d) => `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
const avg = (x) => x.toLocaleString('pt-BR', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

// dur says a duration given in ns: 45 s, 12 min, 2 h 05.
function dur(ns) {
  const sec = ns / 1e9;
  if (sec < 60) return `${Math.round(sec)} s`;
  const m = Math.round(sec / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
}
const median = (d) => (d.n ? dur(d.median_ns) : '—');

// today is the server's, from the first answer: the demo's clock may not
// be the browser's.
const rep = { built: false, days: 30, today: '', data: null, sort: 'reached' };

views.relatorios = {
  allowed: (a) => a.supervisor,
  load() {
    if (!rep.built) build();
    return load();
  },
};

function build() {
  const chip = (d) => h('button.chip', { type: 'button', dataset: { days: d }, 'aria-pressed': String(d === rep.days), text: `${d} dias`,
    onclick: () => { rep.days = d; setRange(d); load(); } });
  const custom = () => { rep.days = 0; load(); };
  fill($('#view-relatorios'),
    h('header.view-head',
      h('h2', { text: 'Relatórios' }),
      h('div.filters', { role: 'group', 'aria-label': 'Período' }, chip(7), chip(30), chip(90)),
      h('label.range', 'De ', h('input#rep-from', { type: 'date', onchange: custom })),
      h('label.range', 'até ', h('input#rep-to', { type: 'date', onchange: custom })),
      h('span#rep-asof.rep-asof')),
    h('div#rep-body'));
  rep.built = true;
}

function setRange(days) {
  if (!rep.today) return;
  $('#rep-to').value = rep.today;
  $('#rep-from').value = addDays(rep.today, 1 - days);
}

async function load() {
  for (const b of document.querySelectorAll('#view-relatorios [data-days]')) b.setAttribute('aria-pressed', String(Number(b.dataset.days) === rep.days));
  const from = $('#rep-from').value;
  const to = $('#rep-to').value;
  try {
    rep.data = await api('GET', `/api/report${from && to ? `?from=${from}&to=${to}` : ''}`);
  } catch (e) { failed(e); return; }
  if (!rep.today) rep.today = rep.data.to_day;
  $('#rep-from').value = rep.data.from_day;
  $('#rep-to').value = rep.data.to_day;
  render();
}

const card = (label, value, sub) => h('div.card', h('span.card-label', { text: label }), h('strong.card-value', { text: value }), sub ? h('span.card-sub', { text: sub }) : null);
const section = (title, note, ...body) => h('section.rep-section', h('h3.rep-title', { text: title }), note ? h('p.rep-note', { text: note }) : null, ...body);

function render() {
  const r = rep.data;
  $('#rep-asof').textContent = `${dayLabel(r.from_day)} a ${dayLabel(r.to_day)} · situação em ${fmtWhen.format(new Date(r.as_of))}`;
  const reached = r.trails.reduce((a, t) => a + t.reached, 0);
  const solved = r.trails.reduce((a, t) => a + t.solved, 0);
  const q = r.queue;
  fill($('#rep-body'),
    h('div.cards.rep-cards',
      card('Conversas', num(r.conversations), `${num(r.inside_hours)} dentro · ${num(r.outside_hours)} fora do horário`),
      card('Trilhas úteis', reached ? pct(solved / reached) : '–', `útil: ${num(solved)} de ${num(reached)}`),
      card('Entraram na fila', num(q.queued), `${plural(q.claimed, 'atendido', 'atendidos')} · ${plural(q.abandoned, 'desistiu', 'desistiram')}`),
      card('Espera na fila (mediana)', median(q.wait_business), 'em horário de atendimento'),
      card('Satisfação (CSAT)', r.csat.count ? avg(r.csat.average) : '–', plural(r.csat.count, 'avaliação', 'avaliações'))),
    section('Trilhas', 'útil: X de Y = das Y vezes em que a trilha chegou ao fim (o bot perguntou “resolveu?”), X o cliente disse que sim e avaliou. Clique nos títulos para ordenar.',
      trailsTable(r)),
    h('div.charts',
      h('figure.chart-card.chart-wide', h('figcaption', { text: 'Conversas por dia: dentro e fora do horário de atendimento' }), h('div.chart', daysChart(r))),
      h('figure.chart-card', h('figcaption', { text: 'Espera na fila até um Encantador aceitar' }), h('div.chart', waitChart(q)),
        h('p.rep-note', { text: 'Horário de atendimento: conta só o tempo em que a equipe trabalha (noites, fins de semana e feriados ficam de fora). Tempo corrido: o relógio de parede.' })),
      h('figure.chart-card', h('figcaption', { text: 'Fila de atendimento' }), h('div.chart', queueChart(q))),
      h('figure.chart-card', h('figcaption', { text: 'Notas dos clientes (1 a 5)' }), h('div.chart', csatChart(r.csat.distribution))),
      h('figure.chart-card', h('figcaption', { text: 'Escalados para o time de produto (prazo prometido ao cliente)' }), h('div.chart', escalationsChart(r.escalations)))),
    section('Encantadores', 'Tempos em horário de atendimento, medianas. 1ª resposta: de aceitar a conversa à primeira mensagem; atendimento: de aceitar a resolver (sem os escalados).',
      agentsTable(r)),
    section('Arquivos', 'Fotos, áudios, vídeos, documentos e outros anexos, pelo dia em que chegaram ou foram enviados. Enviados: pelos Encantadores e pelas trilhas.',
      ...mediaBlock(r.media)),
    r.lines.length > 1 ? section('Linhas', 'Os números de WhatsApp em que os clientes escreveram.', linesTable(r)) : null);
}

// ---------------------------------------------------------------- lines

function linesTable(r) {
  return h('div.table-scroll', h('table.table.rep-table',
    h('thead', h('tr', ...['Linha', 'Conversas', 'Foram para um Encantador'].map((t, i) => h('th', { class: i ? 'num' : '', text: t })))),
    h('tbody', ...r.lines.map((l) => h('tr',
      h('td', { text: r.line_labels[l.line] || 'Sem linha' }),
      h('td.num', { text: num(l.conversations) }),
      h('td.num', { text: num(l.to_person) }))))));
}

// ---------------------------------------------------------------- media

const mediaKinds = {
  image: 'Fotos', audio: 'Áudios', video: 'Vídeos', document: 'Documentos', sticker: 'Figurinhas', location: 'Localizações', contact: 'Contatos',
};

// mediaBlock is the files' table (by kind, received and sent, with their
// totals) and what could not be received.
function mediaBlock(m) {
  const counts = new Map();
  for (const [i, list] of [m.received, m.sent].entries()) {
    for (const k of list) {
      const c = counts.get(k.kind) || [0, 0];
      c[i] = k.count;
      counts.set(k.kind, c);
    }
  }
  if (!counts.size) return [h('p.chart-empty', { text: 'Nenhum arquivo recebido ou enviado no período.' })];
  const kinds = [...counts.keys()].sort((a, b) => (mediaKinds[a] || a).localeCompare(mediaKinds[b] || b, 'pt-BR'));
  const total = [0, 1].map((i) => kinds.reduce((a, k) => a + counts.get(k)[i], 0));
  const row = (label, [got, sent]) => h('tr', h('td', { text: label }), h('td.num', { text: num(got) }), h('td.num', { text: num(sent) }));
  const failed = m.failed
    ? `${plural(m.failed, 'arquivo dos clientes não pôde ser recebido', 'arquivos dos clientes não puderam ser recebidos')}: acima dos limites, ou o download não deu certo (o chamado diz o motivo).`
    : total[0] ? 'Todos os arquivos dos clientes foram recebidos.' : '';
  return [
    h('div.table-scroll', h('table.table.rep-table#rep-media',
      h('thead', h('tr', h('th', { text: 'Tipo' }), h('th.num', { text: 'Recebidos' }), h('th.num', { text: 'Enviados' }))),
      h('tbody', ...kinds.map((k) => row(mediaKinds[k] || k, counts.get(k)))),
      h('tfoot', row('Total', total)))),
    failed ? h(`p.rep-note${m.failed ? '.rep-warn' : ''}#rep-media-failed`, { text: failed }) : null,
  ];
}

// ---------------------------------------------------------------- trails

function trailsTable(r) {
  if (!r.trails.length) return h('p.chart-empty', { text: 'Nenhuma trilha chegou ao fim no período.' });
  const csat = new Map((r.csat.by_trail || []).map((g) => [g.topic, g]));
  const keys = {
    title: (t) => (t.title || t.topic).toLowerCase(),
    reached: (t) => -t.reached,
    deflection: (t) => -t.deflection_rate,
    to_person: (t) => -t.to_person,
  };
  const key = keys[rep.sort];
  const rows = [...r.trails].sort((a, b) => {
    const x = key(a); const y = key(b);
    return x < y ? -1 : x > y ? 1 : b.reached - a.reached;
  });
  const th = (k, text, cls) => h('th', { class: `${cls || ''} sortable`, 'aria-sort': rep.sort === k ? 'descending' : 'none', tabindex: 0,
    onclick: () => { rep.sort = k; render(); }, onkeydown: (ev) => { if (ev.key === 'Enter') { rep.sort = k; render(); } } }, text);
  return h('div.table-scroll', h('table.table.rep-table',
    h('thead', h('tr', th('title', 'Trilha'), th('reached', 'Chegaram ao fim', 'num'), th('deflection', 'Útil'), th('to_person', 'Foram para um Encantador', 'num'), h('th', { class: 'num', text: 'CSAT' }))),
    h('tbody', ...rows.map((t) => {
      const g = csat.get(t.topic);
      return h('tr',
        h('td', t.title ? h('span', { text: t.title }) : h('span.muted', { text: `${t.topic} (não existe mais)` })),
        h('td.num', { text: num(t.reached) }),
        h('td.useful', usefulBar(t), h('span.useful-text', h('strong', { text: pct(t.deflection_rate) }), ` · útil: ${num(t.solved)} de ${num(t.reached)}`)),
        h('td.num', { text: num(t.to_person) }),
        h('td.num', { text: g && g.count ? `${avg(g.average)} (${g.count})` : '—' }));
    }))));
}

function usefulBar(t) {
  const W = 140;
  const cls = t.deflection_rate >= 0.6 ? 'good' : t.deflection_rate >= 0.3 ? 'mid' : 'bad';
  return s('svg', { class: 'useful-bar', width: W, height: 10, viewBox: `0 0 ${W} 10`, 'aria-hidden': 'true' },
    s('rect', { class: 'track', width: W, height: 10, rx: 5 }),
    t.reached ? s('rect', { class: `fill ${cls}`, width: Math.max(4, W * t.deflection_rate), height: 10, rx: 5 }) : null);
}

// ---------------------------------------------------------------- charts

function daysChart(r) {
  const labels = r.days.map((d) => `${d.date.slice(8, 10)}/${d.date.slice(5, 7)}`);
  const inside = r.days.map((d) => d.conversations - d.outside_hours);
  const outside = r.days.map((d) => d.outside_hours);
  const holidays = Object.entries(r.holidays || {});
  return [
    barChart(labels, [inside, outside], ['Dentro do horário', 'Fora do horário']),
    legend([['la', 'Dentro do horário de atendimento'], ['lb', 'Fora do horário (noites, fins de semana, feriados)']]),
    holidays.length ? h('p.rep-note', { text: `Feriados no período: ${holidays.map(([d, n]) => `${d.slice(8, 10)}/${d.slice(5, 7)} ${n}`).join(' · ')}` }) : null,
  ];
}

// hbars draws labelled horizontal bars: [label, value, text, class]. On
// a phone each label goes above its bar.
function hbars(rows, max) {
  const stacked = narrow.matches;
  const W = stacked ? 340 : 520; const row = stacked ? 46 : 30; const l = stacked ? 0 : 200; const r = 90;
  const H = row * rows.length + 4;
  const top = niceMax(max || Math.max(1, ...rows.map((x) => x[1])));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  rows.forEach(([label, v, text, cls], i) => {
    const y = i * row + 4;
    const by = stacked ? y + 20 : y + 2;
    const w = ((W - l - r) * v) / top;
    svg.append(s('text', { x: 0, y: y + 15 }, label));
    svg.append(s('rect', { class: `hbar ${cls || ''}`, x: l, y: by, width: Math.max(v ? 3 : 0, w), height: 18, rx: 3 }, s('title', {}, `${label}: ${text}`)));
    svg.append(s('text', { class: 'val', x: l + Math.max(v ? 3 : 0, w) + 8, y: by + 13 }, text));
  });
  return svg;
}

function waitChart(q) {
  if (!q.wait_wall.n) return h('p.chart-empty', { text: 'Ninguém foi atendido a partir da fila no período.' });
  const b = q.wait_business; const w = q.wait_wall;
  return [hbars([
    ['Mediana · horário de atendimento', b.median_ns, dur(b.median_ns), 'biz'],
    ['90% até · horário de atendimento', b.p90_ns, dur(b.p90_ns), 'biz'],
    ['Mediana · tempo corrido', w.median_ns, dur(w.median_ns), 'wall'],
    ['90% até · tempo corrido', w.p90_ns, dur(w.p90_ns), 'wall'],
  ]), h('p.rep-note', { text: `${plural(w.n, 'cliente atendido', 'clientes atendidos')} a partir da fila.` })];
}

function queueChart(q) {
  if (!q.queued) return h('p.chart-empty', { text: 'Ninguém entrou na fila no período.' });
  return hbars([
    ['Entraram na fila', q.queued, num(q.queued), ''],
    ['Atendidos por um Encantador', q.claimed, num(q.claimed), 'good'],
    ['Desistiram', q.abandoned, num(q.abandoned), 'bad'],
    ['Ainda esperando', q.waiting, num(q.waiting), 'mid'],
  ]);
}

function escalationsChart(e) {
  if (!e.escalated) return h('p.chart-empty', { text: 'Nenhum caso escalado no período.' });
  const parts = [
    ['met', 'Resolvidos no prazo', e.met],
    ['late', 'Resolvidos com atraso', e.late],
    ['overdue', 'Abertos com prazo vencido', e.overdue],
    ['within', 'Abertos dentro do prazo', e.within_deadline],
  ];
  const W = chartW() === 720 ? 520 : 340; const H = 34;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Escalados por situação do prazo' });
  let x = 0;
  for (const [cls, label, v] of parts) {
    if (!v) continue;
    const w = (W * v) / e.escalated;
    svg.append(s('rect', { class: `esc ${cls}`, x, y: 4, width: w, height: 26 }, s('title', {}, `${label}: ${v}`)));
    if (w > 28) svg.append(s('text', { class: 'esc-val', x: x + w / 2, y: 22, 'text-anchor': 'middle' }, String(v)));
    x += w;
  }
  return [svg, h('ul.esc-legend', ...parts.map(([cls, label, v]) => h('li', h('span', { class: `sw ${cls}` }), `${label}: `, h('strong', { text: num(v) }))))];
}

// ---------------------------------------------------------------- agents

function agentsTable(r) {
  if (!r.agents.length) return h('p.chart-empty', { text: 'Nenhum atendimento de Encantador no período.' });
  return h('div.table-scroll', h('table.table.rep-table',
    h('thead', h('tr', ...['Encantador', 'Aceitos', 'Resolvidos', '1ª resposta', 'Atendimento', 'CSAT'].map((t, i) => h('th', { class: i ? 'num' : '', text: t })))),
    h('tbody', ...r.agents.map((a) => h('tr',
      h('td', { text: a.name || `#${a.agent}` }),
      h('td.num', { text: num(a.claimed) }),
      h('td.num', { text: num(a.resolved) }),
      h('td.num', { text: median(a.first_response_business) }),
      h('td.num', { text: median(a.handling_business) }),
      h('td.num', { text: a.rated ? `${avg(a.csat)} (${a.rated})` : '—' }))))));
}
