// flowwatch duty console: a plain browser module, no framework and no build step (docs/console.md).
// Everything shown is built with DOM calls and textContent, never innerHTML: alert text is data.
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };
const FLOWS = ['people', 'goods', 'funds'];
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Rows drawn at first (and added per "Show more"): a board of 10,000 alerts draws only what a screen can hold. */
const ROWS_STEP = 200;

const state = {
  limit: ROWS_STEP,
  renderQueued: false,
  seen: null,
  // A console session's token (traded for the API token at sign-in; the API token itself is not kept).
  token: sessionStorage.getItem('fw.session') ?? '',
  whoami: sessionStorage.getItem('fw.whoami') ?? '',
  user: JSON.parse(sessionStorage.getItem('fw.user') ?? 'null'),
  teams: JSON.parse(sessionStorage.getItem('fw.teams') ?? '[]'),
  alerts: new Map(),
  /** The card's series per alert id (GET /api/alerts/:id/series). */
  series: new Map(),
  silences: [],
  selected: null,
  preview: null,
  connected: false,
  stream: null,
};

const $ = (id) => document.getElementById(id);

/** An element with attributes (and `on*` listeners) and children (strings become text). */
function el(tag, attrs = {}, ...children) {
  const e = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity))
    if (c !== null && c !== undefined) e.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  return e;
}

function localTime(iso) {
  const d = new Date(iso);
  return el('time', { datetime: iso, title: `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC` }, d.toLocaleString());
}

function num(v, digits = 3) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString() : String(Number(v.toPrecision(digits)));
}

// ---- talking to the API: the bearer token goes in a header, never in a URL ----

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${state.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    // A reverse proxy in front may need its own login cookie on every request; flowwatch sets none.
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 401) {
    signOut('Your session has ended or the token was refused; sign in again.');
    throw new Error('unauthorized');
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error ?? `HTTP ${res.status}`);
  return json;
}

/** The live feed: server-sent events read through fetch, so the token travels as a header (EventSource cannot send one). */
async function connect() {
  const ctrl = new AbortController();
  state.stream = ctrl;
  try {
    const res = await fetch('/api/console/events', {
      headers: { authorization: `Bearer ${state.token}` },
      signal: ctrl.signal,
      cache: 'no-store',
    });
    if (res.status === 401) return signOut('Your session has ended; sign in again.');
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    setConnected(true);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        onMessage(buf.slice(0, i));
        buf = buf.slice(i + 2);
      }
    }
  } catch (err) {
    if (ctrl.signal.aborted) return;
    console.warn('console feed', err);
  }
  if (state.stream !== ctrl || ctrl.signal.aborted) return;
  setConnected(false);
  setTimeout(() => state.stream === ctrl && connect(), 1000);
}

function onMessage(block) {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (!data) return;
  const msg = JSON.parse(data);
  if (event === 'snapshot') {
    state.alerts = new Map(msg.alerts.map((a) => [a.fingerprint, a]));
    state.silences = msg.silences;
    loadSeen();
  } else if (event === 'alerts') {
    for (const a of msg.upsert) state.alerts.set(a.fingerprint, a);
    for (const fp of msg.remove) state.alerts.delete(fp);
  } else if (event === 'silences') state.silences = msg.silences;
  else if (event === 'problem') $('conn').textContent = msg.message;
  else if (event === 'expired') return signOut('Your session has ended; sign in again.');
  scheduleRender();
}

/** Feed messages redraw at most once per frame, however many arrive. */
function scheduleRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => {
    state.renderQueued = false;
    render();
  });
}

// ---- "new since I looked": alert episodes (ids) this user has seen, kept in this browser ----

const seenKey = () => `fw.seen.${state.user?.name ?? state.whoami}`;

/** What this user had seen; at the very first look, everything on the board counts as seen. */
function loadSeen() {
  const stored = localStorage.getItem(seenKey());
  state.seen = new Set(stored ? JSON.parse(stored) : [...state.alerts.values()].map((a) => a.id));
  if (!stored) saveSeen();
}

/** Stores the seen ids of alerts still on the board (the rest can never show again). */
function saveSeen() {
  const present = new Set([...state.alerts.values()].map((a) => a.id));
  localStorage.setItem(seenKey(), JSON.stringify([...state.seen].filter((id) => present.has(id))));
}

const isNew = (a) => state.seen !== null && !state.seen.has(a.id);

function markSeen(alerts) {
  for (const a of alerts) state.seen?.add(a.id);
  saveSeen();
  render();
}

function setConnected(on) {
  state.connected = on;
  $('conn').textContent = on ? 'live' : 'reconnecting…';
  $('conn').className = on ? 'conn live' : 'conn';
}

// ---- the board ----

function filtered() {
  const f = {
    flow: $('f-flow').value,
    severity: $('f-severity').value,
    state: $('f-state').value,
    ack: $('f-ack').value,
    text: $('f-text').value.trim().toLowerCase(),
  };
  return [...state.alerts.values()].filter((a) => {
    if (f.flow && a.stream !== f.flow) return false;
    if (f.severity && a.severity !== f.severity) return false;
    if (f.state === 'muted' && !a.mutedBy) return false;
    if (f.state === 'unmuted' && a.mutedBy) return false;
    if (f.state === 'flapping' && !a.flapping) return false;
    if (f.state === 'new' && !isNew(a)) return false;
    if (f.ack === 'yes' && !a.ack) return false;
    if (f.ack === 'no' && a.ack) return false;
    if (f.text && !haystack(a).includes(f.text)) return false;
    return true;
  });
}

const HAYSTACKS = new WeakMap();

/** The text a search looks in, once per alert object (an update brings a new object). */
function haystack(a) {
  let h = HAYSTACKS.get(a);
  if (h === undefined) {
    h = [a.summary, a.key, a.stream, a.detector, ...Object.entries(a.labels ?? {}).map(([k, v]) => `${k}=${v}`)].join(' ').toLowerCase();
    HAYSTACKS.set(a, h);
  }
  return h;
}

function sorted(alerts) {
  const how = $('f-sort').value;
  const age = (a) => (a.t0 ??= Date.parse(a.startsAt));
  return alerts.sort((a, b) => {
    if (how === 'new') return age(b) - age(a);
    if (how === 'severity' && a.severity !== b.severity) return (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9);
    return age(a) - age(b);
  });
}

function renderCounts() {
  const all = [...state.alerts.values()];
  const streams = [...new Set([...FLOWS, ...all.map((a) => a.stream)])];
  const teams = [...new Set(all.flatMap((a) => a.teams ?? []))].sort();
  const chip = (label, n, cls) => el('li', { class: `chip ${cls}` }, el('span', { class: 'n' }, n), ` ${label}`);
  $('counts').replaceChildren(
    chip('firing', all.length, 'total'),
    chip('new', all.filter(isNew).length, 'new'),
    ...streams.map((s) => chip(s, all.filter((a) => a.stream === s).length, `flow flow-${s}`)),
    ...teams.map((t) => chip(`team ${t}`, all.filter((a) => a.teams?.includes(t)).length, 'team')),
  );
  const flowSel = $('f-flow');
  const have = new Set([...flowSel.options].map((o) => o.value));
  for (const s of streams) if (!have.has(s)) flowSel.append(el('option', { value: s }, s));
}

function groupHeading(g, alerts) {
  const labels = Object.entries(g.labels).map(([k, v]) => `${k}=${v}`);
  const worst = alerts.reduce((w, a) => Math.min(w, SEVERITY_ORDER[a.severity] ?? 9), 9);
  const sev = Object.keys(SEVERITY_ORDER).find((k) => SEVERITY_ORDER[k] === worst) ?? 'info';
  return el(
    'h2',
    { class: `group-h sev-${sev}` },
    el('span', { class: 'count' }, alerts.length),
    ` ${labels.join(' · ') || '(all)'} `,
    el('span', { class: 'route' }, `→ ${g.receiver} (route ${g.route})`),
  );
}

function alertRow(a) {
  const marks = el(
    'span',
    { class: 'marks' },
    isNew(a) ? el('span', { class: 'mark new', title: 'new since you last looked' }, 'NEW') : null,
    a.ack ? el('span', { class: 'mark ack', title: `acknowledged by ${a.ack.by}` }, 'ACK') : null,
    a.mutedBy ? el('span', { class: 'mark muted', title: `muted by ${a.mutedBy}` }, 'MUTED') : null,
    a.flapping ? el('span', { class: 'mark flap' }, 'FLAPPING') : null,
    a.owner ? el('span', { class: 'mark owner', title: `handed on to ${a.owner.team} by ${a.owner.by}` }, `→ ${a.owner.team}`) : null,
  );
  return el(
    'li',
    {},
    el(
      'button',
      {
        type: 'button',
        class: `alert sev-${a.severity}${state.selected === a.fingerprint ? ' selected' : ''}`,
        'data-fp': a.fingerprint,
        'aria-pressed': state.selected === a.fingerprint ? 'true' : 'false',
        onclick: () => select(a.fingerprint),
      },
      el('span', { class: `sev sev-${a.severity}` }, a.severity),
      el('span', { class: 'summary' }, a.summary),
      el('span', { class: 'where' }, `${a.stream} · ${a.key} · ${a.detector}`),
      localTime(a.startsAt),
      marks,
    ),
  );
}

function renderBoard() {
  const alerts = sorted(filtered());
  // Groups count every alert that passes the filters; rows are drawn for the first `limit` only.
  const groups = new Map();
  alerts.forEach((a, i) => {
    if (!groups.has(a.group.key)) groups.set(a.group.key, { g: a.group, alerts: [], shown: [] });
    const g = groups.get(a.group.key);
    g.alerts.push(a);
    if (i < state.limit) g.shown.push(a);
  });
  const board = $('board');
  if (groups.size === 0) {
    board.replaceChildren(el('p', { class: 'empty' }, state.alerts.size ? 'No firing alert matches the filters.' : 'No alert is firing.'));
    return;
  }
  const hidden = alerts.length - Math.min(alerts.length, state.limit);
  board.replaceChildren(
    ...[...groups.values()]
      .filter(({ shown }) => shown.length)
      .map(({ g, alerts: list, shown }) => el('section', { class: 'group' }, groupHeading(g, list), el('ul', {}, shown.map(alertRow)))),
    hidden > 0
      ? el(
          'p',
          { class: 'more' },
          `${hidden.toLocaleString()} more alert${hidden === 1 ? '' : 's'} match the filters. `,
          el(
            'button',
            { type: 'button', id: 'show-more', onclick: () => ((state.limit += ROWS_STEP), render()) },
            `Show ${ROWS_STEP} more`,
          ),
        )
      : '',
  );
}

function render() {
  renderCounts();
  renderBoard();
  renderCard();
  renderSilences();
}

function select(fp) {
  if (state.selected !== fp) state.preview = null;
  state.selected = fp;
  const a = fp ? state.alerts.get(fp) : undefined;
  if (a && isNew(a)) markSeen([a]);
  render();
  $('card').focus();
}

// ---- the alert card ----

/** The evidence on one line: in σ from the baseline when the detector judges in σ, else in the measure's own units. */
function evidenceChart(ev, severity) {
  const sigma = ev.unit === 'sigma';
  const pts = sigma
    ? { value: ev.deviation ?? 0, baseline: 0, limit: ev.limit }
    : { value: ev.value, baseline: ev.baseline ?? undefined, limit: ev.limit };
  const xs = Object.values(pts).filter((v) => typeof v === 'number' && Number.isFinite(v));
  let lo = Math.min(...xs);
  let hi = Math.max(...xs);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.15;
  lo -= pad;
  hi += pad;
  const W = 420;
  const x = (v) => 20 + ((v - lo) / (hi - lo)) * (W - 40);
  const parts = [el('svg:line', { x1: 20, x2: W - 20, y1: 50, y2: 50, class: 'axis' })];
  if (pts.baseline !== undefined && pts.limit !== undefined) {
    const [a, b] = [x(pts.baseline), x(pts.limit)].sort((p, q) => p - q);
    parts.push(el('svg:rect', { x: a, y: 38, width: Math.max(1, b - a), height: 24, class: 'band' }));
  }
  const mark = (v, cls, label, y) => [
    el('svg:line', { x1: x(v), x2: x(v), y1: 30, y2: 70, class: cls }),
    el('svg:text', { x: x(v), y, class: `lbl ${cls}`, 'text-anchor': 'middle' }, `${label} ${num(v)}`),
  ];
  if (pts.baseline !== undefined) parts.push(...mark(pts.baseline, 'baseline', 'baseline', 86));
  if (pts.limit !== undefined) parts.push(...mark(pts.limit, 'limit', 'limit', 22));
  parts.push(el('svg:circle', { cx: x(pts.value), cy: 50, r: 7, class: `value sev-${severity}` }));
  parts.push(
    el(
      'svg:text',
      { x: x(pts.value), y: 22, class: 'lbl value', 'text-anchor': 'middle', dy: pts.limit !== undefined ? -10 : 0 },
      `value ${num(pts.value)}`,
    ),
  );
  const title = sigma ? `Evidence in σ from the baseline (${ev.measure})` : `Evidence for ${ev.measure}`;
  return el('svg:svg', { viewBox: `0 0 ${W} 96`, class: 'chart', role: 'img', 'aria-label': title }, el('svg:title', {}, title), parts);
}

// ---- the key's series (InfluxDB, when a sink is configured) and its replay in backtest ----

/** The card's series for an alert episode: fetched once per alert id, redrawn when it arrives. */
function seriesOf(a) {
  const got = state.series.get(a.id);
  if (got) return got;
  state.series.set(a.id, { loading: true, points: [] });
  api('GET', `/api/alerts/${encodeURIComponent(a.id)}/series`)
    .then((s) => state.series.set(a.id, s))
    .catch((err) => state.series.set(a.id, { source: 'store', points: [], note: `The series did not load: ${err.message}` }))
    .finally(() => state.selected === a.fingerprint && renderCard());
  return state.series.get(a.id);
}

/** The key's recent series when InfluxDB has it, else the evidence the alert store keeps (with a note saying why). */
function chartOf(a) {
  const s = seriesOf(a);
  if (s.points.length >= 2) return seriesChart(s, a);
  const note = s.loading
    ? 'Loading the series…'
    : (s.note ??
      (s.source === 'influxdb' ? 'InfluxDB has no points of this key around the alert: the chart shows the stored evidence.' : ''));
  return el('div', {}, evidenceChart(a.evidence, a.severity), note ? el('p', { class: 'chart-note' }, note) : null);
}

/** Value and baseline over time, the limit, and the firing span (from the alert's start). */
function seriesChart(s, a) {
  const W = 420;
  const H = 120;
  const t0 = Date.parse(s.from);
  const t1 = Date.parse(s.to);
  const ys = s.points.flatMap((p) => [p.value, p.baseline]).filter((v) => typeof v === 'number');
  if (typeof a.evidence.limit === 'number' && a.evidence.unit !== 'sigma') ys.push(a.evidence.limit);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.1;
  lo -= pad;
  hi += pad;
  const x = (t) => 30 + ((t - t0) / Math.max(1, t1 - t0)) * (W - 40);
  const y = (v) => H - 16 - ((v - lo) / (hi - lo)) * (H - 28);
  const line = (field) =>
    s.points
      .filter((p) => typeof p[field] === 'number')
      .map((p) => `${x(p.t).toFixed(1)},${y(p[field]).toFixed(1)}`)
      .join(' ');
  const start = Math.max(t0, Date.parse(a.startsAt));
  const parts = [
    el('svg:rect', { x: x(start), y: 6, width: Math.max(1, W - 10 - x(start)), height: H - 22, class: `firing-span sev-${a.severity}` }),
    el('svg:line', { x1: 30, x2: W - 10, y1: H - 16, y2: H - 16, class: 'axis' }),
    el('svg:polyline', { points: line('baseline'), class: 'series-baseline' }),
    el('svg:polyline', { points: line('value'), class: 'series-value' }),
    el('svg:text', { x: 30, y: H - 2, class: 'lbl axis-lbl' }, new Date(t0).toLocaleTimeString()),
    el('svg:text', { x: W - 10, y: H - 2, class: 'lbl axis-lbl', 'text-anchor': 'end' }, new Date(t1).toLocaleTimeString()),
    el('svg:text', { x: 2, y: 14, class: 'lbl axis-lbl' }, num(hi)),
    el('svg:text', { x: 2, y: H - 18, class: 'lbl axis-lbl' }, num(lo)),
  ];
  if (typeof a.evidence.limit === 'number' && a.evidence.unit !== 'sigma')
    parts.push(el('svg:line', { x1: 30, x2: W - 10, y1: y(a.evidence.limit), y2: y(a.evidence.limit), class: 'limit' }));
  const title = `${a.evidence.measure} of ${a.key} from InfluxDB (${s.points.length} points), baseline dashed, firing span shaded`;
  return el(
    'svg:svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart series', role: 'img', 'aria-label': title },
    el('svg:title', {}, title),
    parts,
  );
}

/** The exact commands that replay the key's history through `flowwatch backtest` with the workers' config. */
function replayBlock(a) {
  const s = state.series.get(a.id);
  if (!s?.replay) return null;
  const r = s.replay;
  const curl = `curl -fsS -H "Authorization: Bearer $FLOWWATCH_API_TOKEN" -o ${r.file} '${location.origin}${r.csv}'`;
  return el(
    'details',
    { class: 'replay' },
    el('summary', {}, 'Replay in backtest'),
    el(
      'p',
      {},
      'The key’s recent values as CSV, then a replay through the stream’s detectors with the workers’ config (scores, alerts, HTML report):',
    ),
    el('pre', {}, el('code', {}, `${curl}\n${r.command}`)),
    r.note ? el('p', { class: 'chart-note' }, `Note: ${r.note}.`) : null,
  );
}

function evidenceTable(ev) {
  const rows = [
    ['measure', ev.measure],
    ['value', num(ev.value)],
    ['baseline', num(ev.baseline)],
    ['deviation', ev.deviation === null ? '—' : `${num(ev.deviation)} ${ev.unit}`],
    ['limit', ev.limit === undefined ? '—' : `${num(ev.limit)}${ev.unit === 'sigma' ? ' σ' : ''}`],
  ];
  const table = el(
    'table',
    { class: 'evidence' },
    el('caption', {}, 'Evidence'),
    rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', { 'data-ev': k }, v))),
  );
  if (ev.window) {
    const w = el(
      'td',
      { 'data-ev': 'window' },
      localTime(new Date(ev.window.start).toISOString()),
      ' – ',
      localTime(new Date(ev.window.end).toISOString()),
    );
    if (ev.window.size) w.append(` (window ${Math.round(ev.window.size / 1000)} s)`);
    table.append(el('tr', {}, el('th', { scope: 'row' }, 'window'), w));
  }
  for (const [k, v] of Object.entries(ev.detail ?? {})) table.append(el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, num(v))));
  return table;
}

function cardInfo(a) {
  const stateText = [
    a.status,
    a.flapping ? 'flapping' : null,
    a.mutedBy ? `muted (${a.mutedBy})` : null,
    a.ack ? 'acknowledged' : 'not acknowledged',
  ]
    .filter(Boolean)
    .join(' · ');
  const touching = state.silences.filter((s) => a.silences.includes(s.id));
  return el(
    'div',
    { class: 'info' },
    el('h2', { id: 'card-h', class: `sev-${a.severity}` }, a.summary),
    el('p', { class: 'meta' }, el('span', { class: `sev sev-${a.severity}` }, a.severity), ` ${stateText} · since `, localTime(a.startsAt)),
    chartOf(a),
    evidenceTable(a.evidence),
    el('h3', {}, 'Labels'),
    el(
      'dl',
      { class: 'labels' },
      Object.entries(a.labels ?? {}).map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
    ),
    el(
      'p',
      {},
      `Group: route ${a.group.route} → ${a.group.receiver}; reaches ${a.receivers.join(', ')}${a.escalatedTo ? `; escalated to ${a.escalatedTo.join(', ')}` : ''}.`,
    ),
    el(
      'p',
      { class: 'owner-info' },
      `Teams: ${(a.teams ?? []).join(', ') || 'none'}.`,
      a.owner ? ` Handed on to ${a.owner.team} by ${a.owner.by} at ` : '',
      a.owner ? localTime(a.owner.at) : '',
      a.owner?.note ? ` — “${a.owner.note}”` : '',
    ),
    el('h3', {}, 'Acknowledgement'),
    a.ack
      ? el('p', { class: 'ack-info' }, `Acknowledged by ${a.ack.by} at `, localTime(a.ack.at), a.ack.comment ? ` — “${a.ack.comment}”` : '')
      : el('p', {}, 'Not acknowledged.'),
    el('h3', {}, 'Silences touching it'),
    touching.length
      ? el(
          'ul',
          { class: 'touching' },
          touching.map((s) => el('li', {}, `${s.matchers.join(', ')} (${s.state}, until `, localTime(s.endsAt), `, by ${s.createdBy})`)),
        )
      : el('p', {}, 'None.'),
    el('h3', {}, 'State history'),
    stateHistory(a),
    el('h3', {}, 'History'),
    timeline(a.history ?? []),
    replayBlock(a),
  );
}

/** The alert's last state changes (event times), and whether it flaps. */
function stateHistory(a) {
  const states = a.states ?? [{ status: a.status, at: a.startsAt }];
  return el(
    'div',
    {},
    el(
      'ol',
      { class: 'states' },
      states.map((x) => el('li', { class: `state-${x.status}` }, `${x.status} at `, localTime(x.at))),
    ),
    a.flapping ? el('p', { class: 'flap-info' }, 'Flapping: further changes are held back until it settles.') : null,
  );
}

const ACTION_TEXT = { ack: 'acknowledged', comment: 'commented', 'hand-on': 'handed on', silence: 'silenced', expire: 'expired a silence' };

/** The alert's audit trail: who did what, when. */
function timeline(history) {
  if (!history.length) return el('p', { class: 'timeline-empty' }, 'No action yet.');
  return el(
    'ol',
    { class: 'timeline' },
    history.map((e) =>
      el(
        'li',
        { 'data-action': e.action },
        localTime(e.at),
        ' ',
        el('strong', {}, e.by),
        e.user && e.user !== e.by ? ` (${e.user})` : '',
        ` ${ACTION_TEXT[e.action] ?? e.action}`,
        e.action === 'hand-on' ? ` to ${e.to}` : '',
        e.matchers ? ` (${e.matchers.join(', ')})` : '',
        e.text ? `: “${e.text}”` : '',
      ),
    ),
  );
}

function renderCard() {
  const card = $('card');
  const a = state.selected ? state.alerts.get(state.selected) : undefined;
  if (!a) {
    card.hidden = true;
    card.replaceChildren();
    state.cardKey = null;
    return;
  }
  card.hidden = false;
  card.setAttribute('tabindex', '-1');
  card.setAttribute('aria-labelledby', 'card-h');
  const key = `${a.fingerprint}|${a.id}|${a.ack ? 'ack' : ''}|${a.owner?.team ?? ''}`;
  const info = cardInfo(a);
  const old = card.querySelector('.info');
  if (state.cardKey === key && old) {
    old.replaceWith(info);
    return;
  }
  state.cardKey = key;
  const close = el('button', { type: 'button', class: 'close', 'aria-label': 'Close the card', onclick: () => select(null) }, '×');
  card.replaceChildren(...[close, info, a.ack ? null : ackForm(a), commentForm(a), handOnForm(a), silenceForm(a)].filter(Boolean));
}

// ---- actions, all through the HTTP API ----

function status(form, text, error = false) {
  const p = form.querySelector('.status');
  p.textContent = text;
  p.className = error ? 'status error' : 'status';
}

function ackForm(a) {
  const form = el(
    'form',
    { class: 'action', id: 'ack-form', 'aria-label': 'Acknowledge' },
    el('h3', {}, 'Acknowledge'),
    el('label', {}, 'Name ', el('input', { name: 'by', required: true, value: state.whoami, autocomplete: 'name' })),
    el('label', {}, 'Comment ', el('input', { name: 'comment', maxlength: 2000 })),
    el('button', { type: 'submit' }, 'Acknowledge'),
    el('p', { class: 'status', role: 'status' }),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const by = form.elements.by.value.trim();
    const comment = form.elements.comment.value.trim();
    try {
      await api('POST', `/api/alerts/${encodeURIComponent(a.id)}/ack`, { by, ...(comment ? { comment } : {}) });
      status(form, 'Acknowledged; the board shows it within a second.');
    } catch (err) {
      status(form, `Not acknowledged: ${err.message}`, true);
    }
  });
  return form;
}

function commentForm(a) {
  const form = el(
    'form',
    { class: 'action', id: 'comment-form', 'aria-label': 'Comment' },
    el('h3', {}, 'Comment'),
    el('label', {}, 'Comment ', el('input', { name: 'text', required: true, maxlength: 2000 })),
    el('button', { type: 'submit' }, 'Add comment'),
    el('p', { class: 'status', role: 'status' }),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', `/api/alerts/${encodeURIComponent(a.id)}/comments`, { text: form.elements.text.value.trim(), by: state.whoami });
      form.elements.text.value = '';
      status(form, 'Comment added.');
    } catch (err) {
      status(form, `Not added: ${err.message}`, true);
    }
  });
  return form;
}

function handOnForm(a) {
  const others = state.teams.filter((t) => t !== a.owner?.team);
  if (!others.length) return null;
  const form = el(
    'form',
    { class: 'action', id: 'handon-form', 'aria-label': 'Hand on' },
    el('h3', {}, 'Hand on to another team'),
    el(
      'label',
      {},
      'Team ',
      el(
        'select',
        { name: 'to' },
        others.map((t) => el('option', { value: t }, t)),
      ),
    ),
    el('label', {}, 'Note ', el('input', { name: 'note', maxlength: 2000 })),
    el('button', { type: 'submit' }, 'Hand on'),
    el('p', { class: 'status', role: 'status' }),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const to = form.elements.to.value;
    try {
      await api('POST', `/api/alerts/${encodeURIComponent(a.id)}/hand-on`, { to, note: form.elements.note.value.trim(), by: state.whoami });
      status(form, `Handed on to ${to}.`);
    } catch (err) {
      status(form, `Not handed on: ${err.message}`, true);
    }
  });
  return form;
}

function matcherLines(a) {
  return Object.entries(a.group.labels)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}

function silenceForm(a) {
  const form = el(
    'form',
    { class: 'action', id: 'silence-form', 'aria-label': 'Silence' },
    el('h3', {}, 'Silence'),
    el('label', {}, 'Matchers, one per line ', el('textarea', { name: 'matchers', rows: 3, spellcheck: 'false' }, matcherLines(a))),
    el(
      'label',
      {},
      'For ',
      el(
        'select',
        { name: 'duration' },
        ['1h', '2h', '4h', '8h', '24h'].map((d) => el('option', { value: d, selected: d === '2h' }, d)),
      ),
    ),
    el('label', {}, 'Comment ', el('input', { name: 'comment', maxlength: 2000 })),
    el('button', { type: 'button', name: 'preview' }, 'Preview'),
    el('button', { type: 'submit', name: 'save', disabled: true }, 'Create silence'),
    el('div', { class: 'preview', 'aria-live': 'polite' }),
    el('p', { class: 'status', role: 'status' }),
  );
  const matchers = () =>
    form.elements.matchers.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  form.elements.matchers.addEventListener('input', () => (form.elements.save.disabled = true));
  form.elements.preview.addEventListener('click', async () => {
    try {
      const { alerts, othersSelected } = await api('POST', '/api/silences/preview', { matchers: matchers() });
      state.preview = matchers().join('\n');
      form.querySelector('.preview').replaceChildren(
        el('p', { class: 'preview-count' }, `It would mute ${alerts.length} firing alert${alerts.length === 1 ? '' : 's'} now:`),
        el(
          'ul',
          {},
          alerts.map((x) => el('li', { class: `sev-${x.severity}` }, `${x.severity}: ${x.summary}`)),
        ),
        othersSelected ? el('p', { class: 'error' }, `…and ${othersSelected} alert(s) of other teams: only an admin may create it.`) : '',
      );
      form.elements.save.disabled = Boolean(othersSelected);
      status(form, '');
    } catch (err) {
      status(form, `Preview failed: ${err.message}`, true);
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const comment = form.elements.comment.value.trim();
    try {
      const { silence } = await api('POST', '/api/silences', {
        matchers: matchers(),
        duration: form.elements.duration.value,
        createdBy: state.whoami,
        ...(comment ? { comment } : {}),
      });
      status(form, `Silence ${silence.id} created, until ${new Date(silence.endsAt).toLocaleString()}.`);
      form.elements.save.disabled = true;
    } catch (err) {
      status(form, `Not created: ${err.message}`, true);
    }
  });
  return form;
}

function renderSilences() {
  const rows = state.silences.map((s) =>
    el(
      'tr',
      { 'data-silence': s.id },
      el('td', {}, el('code', {}, s.matchers.join(', '))),
      el('td', {}, s.state),
      el('td', {}, localTime(s.endsAt)),
      el('td', {}, s.createdBy),
      el('td', {}, s.comment),
      el(
        'td',
        {},
        el(
          'button',
          { type: 'button', class: 'expire', 'aria-label': `Expire silence ${s.matchers.join(', ')}`, onclick: () => expire(s.id) },
          'Expire',
        ),
      ),
    ),
  );
  $('silences').tBodies[0].replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 6 }, 'No silence is active or pending.'))]),
  );
}

async function expire(id) {
  try {
    await api('DELETE', `/api/silences/${encodeURIComponent(id)}`);
  } catch (err) {
    alert(`The silence was not expired: ${err.message}`);
  }
}

// ---- signing in and out ----

function signOut(message = '') {
  state.stream?.abort();
  state.stream = null;
  if (state.token) fetch('/api/console/session', { method: 'DELETE', headers: { authorization: `Bearer ${state.token}` } }).catch(() => {});
  state.token = '';
  state.alerts = new Map();
  state.series = new Map();
  state.incidents = null;
  clearTimeout(state.incidentsTimer);
  renderIncidents();
  state.selected = null;
  state.seen = null;
  for (const k of ['fw.session', 'fw.user', 'fw.teams']) sessionStorage.removeItem(k);
  $('app').hidden = true;
  $('signout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('conn').textContent = 'not connected';
  $('conn').className = 'conn';
}

// ---- incidents (alerts about one place or party across flows; docs/incidents.md) ----

/** How often the board asks for incidents: they change with alerts but matter at a glance, not to the second. */
const INCIDENTS_EVERY_MS = 10_000;

/** Polls GET /api/incidents while signed in; stops when incidents are not configured (404). */
async function pollIncidents() {
  clearTimeout(state.incidentsTimer);
  if (!state.token) return;
  try {
    state.incidents = (await api('GET', '/api/incidents')).incidents;
  } catch (err) {
    if (/not configured/.test(err.message)) return renderIncidents();
    state.incidents = state.incidents ?? [];
  }
  renderIncidents();
  state.incidentsTimer = setTimeout(pollIncidents, INCIDENTS_EVERY_MS);
}

/** The open (and recently ended) incidents this user may see: title, severity, flows, members, departments and their acks. */
function renderIncidents() {
  const box = $('incidents');
  const list = (state.incidents ?? []).filter((i) => i.status !== 'closed');
  box.hidden = list.length === 0;
  if (box.hidden) return box.replaceChildren();
  box.replaceChildren(
    el('h2', {}, `Incidents (${list.length})`),
    el(
      'ul',
      {},
      list.map((i) =>
        el(
          'li',
          { class: 'incident' },
          el('span', { class: `sev sev-${i.severity}` }, i.severity),
          ' ',
          el('strong', {}, i.title),
          ` · ${i.status} · ${i.streams.join(' + ')} · ${i.members} alert${i.members === 1 ? '' : 's'} · since `,
          localTime(i.openedAt),
          ' · ',
          i.departments.map((d, k) => [k ? ', ' : '', d.ack ? `${d.name} ✓ ${d.ack.by}` : `${d.name} (not acknowledged)`]),
        ),
      ),
    ),
  );
}

function start() {
  $('whois').textContent = state.user ? `${state.user.name} · ${state.user.admin ? 'admin' : `team ${state.user.teams.join(', ')}`}` : '';
  $('login').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  render();
  connect();
  void pollIncidents();
}

/** Keeps a console session (from a token, or from the trusted proxy's sign-in) and opens the board. */
function signedIn(s, whoami) {
  state.token = s.session;
  state.user = s.user;
  state.teams = s.teams;
  state.whoami = whoami || s.user.name;
  sessionStorage.setItem('fw.session', state.token);
  sessionStorage.setItem('fw.user', JSON.stringify(s.user));
  sessionStorage.setItem('fw.teams', JSON.stringify(s.teams));
  sessionStorage.setItem('fw.whoami', state.whoami);
  start();
}

/** Trades the API token for a console session: only the session's token stays in the tab. */
$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch('/api/console/session', {
    method: 'POST',
    headers: { authorization: `Bearer ${$('token').value.trim()}` },
    credentials: 'same-origin',
    cache: 'no-store',
  }).catch(() => null);
  $('token').value = '';
  if (!res || !res.ok) return signOut(res?.status === 401 ? 'The API refused the token.' : 'The API did not answer; try again.');
  signedIn(await res.json(), $('whoami').value.trim());
});

/** Behind a trusted reverse proxy (alerting.api.trusted_proxy) the proxy has signed the user in: no token to type. */
async function proxySignIn() {
  const res = await fetch('/api/console/session', { method: 'POST', credentials: 'same-origin', cache: 'no-store' }).catch(() => null);
  if (res?.status === 201) return signedIn(await res.json(), $('whoami').value.trim());
  // 401: no proxy configured, or it names nobody; 403: it names someone not configured, or from the wrong address.
  signOut(res?.status === 403 ? ((await res.json().catch(() => ({}))).error ?? '') : '');
}
$('signout').addEventListener('click', () => signOut());
$('mark-seen').addEventListener('click', () => markSeen(state.alerts.values()));
$('filters').addEventListener('input', () => {
  state.limit = ROWS_STEP;
  render();
});
$('filters').addEventListener('submit', (e) => e.preventDefault());
$('whoami').value = state.whoami;
if (state.token) start();
else void proxySignIn();
