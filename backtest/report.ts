import type { AlertRecord } from './run';

/** What the report shows of one file. */
export interface ReportFile {
  rel: string;
  ok: boolean;
  problems: string[];
  ts: ArrayLike<number>;
  values: ArrayLike<number>;
  scores: ArrayLike<number>;
  alert: ArrayLike<number>;
  alerts: AlertRecord[];
  windows: readonly (readonly [number, number])[];
}

export interface ReportInput {
  title: string;
  /** Summary lines (metrics), shown at the top. */
  summary: string[];
  files: ReportFile[];
}

const W = 1200;
const SERIES_H = 190;
const SCORE_H = 70;
const GAP = 18;
const LEFT = 70;
const MAX_ALERT_ROWS = 40;

/**
 * A self-contained HTML page: no scripts, no external resources. Per file, an inline SVG with the
 * series (min/max per pixel column, so spikes survive downsampling), the labelled windows (amber),
 * the alert spans (red bands), each alert's onset (red dot, its evidence as a tooltip), the anomaly
 * score below; then a table of the alerts with their evidence.
 */
export function renderReport(r: ReportInput): string {
  const parts: string[] = [];
  parts.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<h1>${esc(r.title)}</h1>`);
  parts.push(`<div class="summary">${r.summary.map((l) => `<div>${esc(l)}</div>`).join('')}</div>`);
  parts.push(
    `<p class="legend"><span class="sw series"></span>value <span class="sw score"></span>anomaly score <span class="sw win"></span>labelled window <span class="sw alert"></span>alert firing <span class="dot"></span>alert onset (hover for evidence)</p>`,
  );
  const failed = r.files.filter((f) => !f.ok);
  if (failed.length > 0) {
    parts.push(`<h2>Files that failed (${failed.length})</h2><ul class="problems">`);
    for (const f of failed) for (const p of f.problems) parts.push(`<li>${esc(p)}</li>`);
    parts.push('</ul>');
  }
  parts.push(
    '<nav>' +
      r.files
        .filter((f) => f.ok)
        .map((f, i) => `<a href="#f${i}">${esc(f.rel)}</a>`)
        .join(' · ') +
      '</nav>',
  );
  r.files.filter((f) => f.ok).forEach((f, i) => parts.push(fileSection(f, i)));
  parts.push('</body></html>');
  return parts.join('\n');
}

function fileSection(f: ReportFile, idx: number): string {
  const n = f.ts.length;
  const onsets = f.alerts.length;
  const head = `<section id="f${idx}"><h2>${esc(f.rel)}</h2><p class="meta">${n.toLocaleString('en-US')} rows, ${n > 0 ? `${fmtTime(f.ts[0])} → ${fmtTime(f.ts[n - 1])}` : ''}; ${onsets} alert${onsets === 1 ? '' : 's'}; ${f.windows.length} labelled window${f.windows.length === 1 ? '' : 's'}</p>`;
  if (n === 0) return head + '</section>';
  const fr = frame(f);
  const svg: string[] = [];
  svg.push(`<svg viewBox="0 0 ${W} ${fr.H}" width="100%" role="img" aria-label="${esc(f.rel)}">`);
  // Labelled windows and alert spans behind the lines.
  spans(f, fr, svg);
  lines(f, fr, svg);
  onsetDots(f, fr, svg);
  axes(fr, svg);
  svg.push('</svg>');
  return head + svg.join('') + alertTable(f) + '</section>';
}

/** The plot's scales: time across, the value range (padded 5 %) in the series panel, the score below it. */
interface Frame {
  t0: number;
  t1: number;
  lo: number;
  hi: number;
  plotW: number;
  /** Top of the score panel, and the whole height. */
  top2: number;
  H: number;
  x(t: number): number;
  ys(v: number): number;
  yScore(s: number): number;
}

function frame(f: ReportFile): Frame {
  const n = f.ts.length;
  // First and last time, not first and last row: a file's clock may have jumped back (docs/backtest.md).
  let t0 = Infinity;
  let tn = -Infinity;
  for (let i = 0; i < n; i++) {
    if (f.ts[i] < t0) t0 = f.ts[i];
    if (f.ts[i] > tn) tn = f.ts[i];
  }
  const t1 = tn > t0 ? tn : t0 + 1;
  const plotW = W - LEFT - 10;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = f.values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > lo)) {
    hi = lo + 1;
    lo = lo - 1;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const top2 = SERIES_H + GAP;
  return {
    t0,
    t1,
    lo,
    hi,
    plotW,
    top2,
    H: top2 + SCORE_H + 26,
    x: (t) => LEFT + ((t - t0) / (t1 - t0)) * plotW,
    ys: (v) => 8 + (1 - (v - lo) / (hi - lo)) * (SERIES_H - 16),
    yScore: (s) => top2 + (1 - s) * SCORE_H,
  };
}

/** Labelled windows (amber) and the spans where an alert was firing (red bands). */
function spans(f: ReportFile, fr: Frame, svg: string[]): void {
  const { x, top2 } = fr;
  const n = f.ts.length;
  for (const [a, b] of f.windows) {
    const xa = Math.max(LEFT, x(a));
    const xb = Math.min(W - 10, x(b));
    if (xb > xa)
      svg.push(
        `<rect class="win" x="${r1(xa)}" y="0" width="${r1(Math.max(1, xb - xa))}" height="${top2 + SCORE_H}"><title>labelled window ${esc(fmtTime(a))} → ${esc(fmtTime(b))}</title></rect>`,
      );
  }
  for (let i = 0; i < n;) {
    if (f.alert[i] !== 1) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < n && f.alert[j + 1] === 1) j++;
    const xa = x(f.ts[i]);
    const xb = x(f.ts[j]);
    svg.push(`<rect class="alert" x="${r1(xa)}" y="0" width="${r1(Math.max(1.5, xb - xa))}" height="${top2 + SCORE_H}"/>`);
    i = j + 1;
  }
}

/** The series as min/max per pixel column (in row order, so spikes survive downsampling), and the highest score per column. */
function lines(f: ReportFile, fr: Frame, svg: string[]): void {
  const { x, ys, yScore, plotW, top2 } = fr;
  const n = f.ts.length;
  const cols = Math.max(1, Math.min(n, Math.floor(plotW)));
  const per = n / cols;
  const pts: string[] = [];
  const sp: string[] = [];
  for (let c = 0; c < cols; c++) {
    const a = Math.floor(c * per);
    const b = Math.max(a + 1, Math.floor((c + 1) * per));
    let mn = Infinity;
    let mx = -Infinity;
    let imn = a;
    let imx = a;
    let smax = 0;
    for (let i = a; i < b && i < n; i++) {
      const v = f.values[i];
      if (v < mn) {
        mn = v;
        imn = i;
      }
      if (v > mx) {
        mx = v;
        imx = i;
      }
      if (f.scores[i] > smax) smax = f.scores[i];
    }
    if (!Number.isFinite(mn)) continue;
    const first = imn <= imx ? [imn, mn] : [imx, mx];
    const second = imn <= imx ? [imx, mx] : [imn, mn];
    pts.push(`${r1(x(f.ts[first[0]]))},${r1(ys(first[1]))}`);
    if (second[0] !== first[0]) pts.push(`${r1(x(f.ts[second[0]]))},${r1(ys(second[1]))}`);
    sp.push(`${r1(x(f.ts[a]))},${r1(yScore(smax))}`);
  }
  svg.push(`<polyline class="series" points="${pts.join(' ')}"/>`);
  svg.push(`<rect class="frame" x="${LEFT}" y="${top2}" width="${plotW}" height="${SCORE_H}"/>`);
  svg.push(`<line class="half" x1="${LEFT}" x2="${LEFT + plotW}" y1="${r1(yScore(0.5))}" y2="${r1(yScore(0.5))}"/>`);
  svg.push(`<polyline class="score" points="${sp.join(' ')}"/>`);
}

/** Alert onsets with their evidence (a tooltip). */
function onsetDots(f: ReportFile, fr: Frame, svg: string[]): void {
  for (const a of f.alerts) {
    const ev = a.evidence;
    const lines = [
      `${fmtTime(a.ts)} ${a.detector} score ${a.score.toFixed(3)}`,
      a.summary,
      `value ${fmtNum(ev.value)}, expected ${ev.baseline === null ? '—' : fmtNum(ev.baseline)}, deviation ${ev.deviation === null ? '—' : ev.deviation.toFixed(2)} ${ev.unit}`,
      ...Object.entries(ev.detail ?? {}).map(([k, v]) => `${k}: ${v}`),
    ];
    const v = f.values[a.row];
    svg.push(
      `<circle class="onset" cx="${r1(fr.x(a.ts))}" cy="${r1(fr.ys(Number.isFinite(v) ? v : fr.lo))}" r="4"><title>${esc(lines.join('\n'))}</title></circle>`,
    );
  }
}

/** Axes: value range, score scale and five time ticks. */
function axes(fr: Frame, svg: string[]): void {
  const { t0, t1, lo, hi, top2, H, x, yScore } = fr;
  svg.push(
    `<text class="ax" x="${LEFT - 6}" y="14" text-anchor="end">${esc(fmtNum(hi))}</text><text class="ax" x="${LEFT - 6}" y="${SERIES_H - 4}" text-anchor="end">${esc(fmtNum(lo))}</text>`,
  );
  svg.push(
    `<text class="ax" x="${LEFT - 6}" y="${top2 + 10}" text-anchor="end">score 1</text><text class="ax" x="${LEFT - 6}" y="${r1(yScore(0.5)) + 4}" text-anchor="end">0.5</text><text class="ax" x="${LEFT - 6}" y="${top2 + SCORE_H}" text-anchor="end">0</text>`,
  );
  for (let k = 0; k <= 4; k++) {
    const t = t0 + ((t1 - t0) * k) / 4;
    svg.push(
      `<text class="ax" x="${r1(x(t))}" y="${H - 6}" text-anchor="${k === 0 ? 'start' : k === 4 ? 'end' : 'middle'}">${esc(fmtTime(t))}</text>`,
    );
  }
}

/** The alerts with their evidence (at most MAX_ALERT_ROWS), true or false positives where windows are labelled. */
function alertTable(f: ReportFile): string {
  if (f.alerts.length === 0) return '<p class="meta">No alerts.</p>';
  const rows = f.alerts.slice(0, MAX_ALERT_ROWS).map((a) => {
    const ev = a.evidence;
    const inWin = f.windows.some(([s, e]) => a.ts >= s && a.ts <= e);
    const detail = Object.entries(ev.detail ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `<tr class="${f.windows.length > 0 ? (inWin ? 'tp' : 'fp') : ''}"><td>${esc(fmtTime(a.ts))}</td><td>${esc(a.detector)}</td><td>${a.score.toFixed(3)}</td><td>${esc(fmtNum(ev.value))}</td><td>${ev.baseline === null ? '—' : esc(fmtNum(ev.baseline))}</td><td>${ev.deviation === null ? '—' : ev.deviation.toFixed(2) + ' ' + ev.unit}</td><td>${esc(detail)}</td><td>${esc(a.summary)}</td></tr>`;
  });
  return `<table><thead><tr><th>fired at</th><th>detector</th><th>score</th><th>value</th><th>expected</th><th>deviation</th><th>evidence</th><th>summary</th></tr></thead><tbody>${rows.join('')}</tbody></table>${f.alerts.length > MAX_ALERT_ROWS ? `<p class="meta">… and ${f.alerts.length - MAX_ALERT_ROWS} more alerts (all in the output CSV).</p>` : ''}`;
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d232b;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:16px;margin:28px 0 2px}
.summary{background:#f4f6f8;border:1px solid #dde3e8;padding:10px 14px;border-radius:6px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.legend{color:#555}.sw{display:inline-block;width:18px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
.sw.series{background:#2b6cb0}.sw.score{background:#6b46c1}.sw.win{background:#f6c453}.sw.alert{background:#e53e3e;opacity:.35}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;background:#c53030;margin:0 4px 0 12px;vertical-align:middle}
nav{font-size:12px;color:#555;margin:8px 0}nav a{color:#2b6cb0;text-decoration:none}
.meta{color:#555;margin:0 0 4px}
svg .series{fill:none;stroke:#2b6cb0;stroke-width:1}
svg .score{fill:none;stroke:#6b46c1;stroke-width:1}
svg .win{fill:#f6c453;opacity:.35}svg .alert{fill:#e53e3e;opacity:.18}
svg .onset{fill:#c53030;stroke:#fff;stroke-width:1}
svg .frame{fill:none;stroke:#ccd3da}svg .half{stroke:#999;stroke-dasharray:4 3}
svg .ax{font-size:11px;fill:#666}
table{border-collapse:collapse;margin:6px 0 0;font-size:12px;width:100%}
th,td{border-bottom:1px solid #e4e8ec;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f6f8}tr.tp td:first-child{border-left:3px solid #38a169}tr.fp td:first-child{border-left:3px solid #e53e3e}
.problems{color:#9b2c2c;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
`;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function r1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

function fmtTime(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : '';
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : Number(v.toPrecision(5)).toString();
}
