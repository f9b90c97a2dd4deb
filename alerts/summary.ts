import type { Evidence } from '../kernel/types';
import { formatDuration } from '../kernel/duration';

/** Numbers as a duty officer reads them: 412, 37.5, 4.82 — not 412.00000001. */
export function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export interface SummaryInput {
  key: string;
  stream: string;
  detector: string;
  unit?: string;
  attrs: Record<string, string>;
  evidence: Evidence;
}

/**
 * Fills a summary template: {key} {stream} {detector} {measure} {value} {baseline} {deviation}
 * {limit} {unit} {window} (the configured window, as "10m") {span} (the event-time span the value
 * covers, shorter while a window fills) {value_duration} (a value in seconds, as "6m") {attr.NAME}
 * {detail.NAME} (a detector's detail, e.g. a forecast's {detail.forecast}).
 * Unknown placeholders are left visible so typos show.
 */
export function renderTemplate(template: string, x: SummaryInput): string {
  const ev = x.evidence;
  return template.replace(/\{([a-z_]+(?:\.[A-Za-z0-9_-]+)?)\}/g, (whole, name: string) => {
    if (name.startsWith('attr.')) return x.attrs[name.slice(5)] ?? '?';
    if (name.startsWith('detail.')) return detailText(ev.detail?.[name.slice(7)]);
    switch (name) {
      case 'key':
        return x.key;
      case 'stream':
        return x.stream;
      case 'detector':
        return x.detector;
      case 'measure':
        return ev.measure;
      case 'value':
        return fmt(ev.value);
      case 'baseline':
        return fmt(ev.baseline);
      case 'deviation':
        return fmt(ev.deviation === null ? null : Math.abs(ev.deviation));
      case 'direction':
        return (ev.deviation ?? 0) < 0 ? 'below' : 'above';
      case 'limit':
        return fmt(ev.limit);
      case 'unit':
        return x.unit ?? '';
      case 'window':
        return windowText(ev);
      case 'span':
        return ev.window ? formatDuration(roundSpan(ev.window.end - ev.window.start)) : '?';
      case 'value_duration':
        return formatDuration(roundSpan(ev.value * 1000));
      default:
        return whole;
    }
  });
}

/** A readable one-line default when the config gives no template. */
export function defaultSummary(x: SummaryInput): string {
  const ev = x.evidence;
  const unit = x.unit ? ` ${x.unit}` : '';
  const dir = (ev.deviation ?? 0) < 0 ? 'below' : 'above';
  // A forecast (detectors/forecast) words its own outlook: "forecast to pass 4 in ~12 min (80% interval 9–16 min)".
  if (typeof ev.detail?.forecast === 'string') return `${x.key}: ${ev.measure} ${fmt(ev.value)}${unit}, ${ev.detail.forecast}`;
  switch (ev.unit) {
    case 'sigma':
      return `${x.key}: ${ev.measure} ${fmt(ev.value)}${unit}, ${fmt(Math.abs(ev.deviation ?? 0))}σ ${dir} the usual ${fmt(ev.baseline)}`;
    case 'abs':
      return `${x.key}: ${ev.measure} ${fmt(ev.value)}${unit}, ${dir} the limit ${fmt(ev.limit ?? ev.baseline)}`;
    case 'count':
      return `${x.key}: ${ev.measure} ${fmt(ev.value)}${unit} in ${ev.window ? windowText(ev) : 'the window'}, limit ${fmt(ev.limit)}`;
    case 'seconds':
      return `${x.key}: no events for ${formatDuration(roundSpan(ev.value * 1000))} (limit ${formatDuration((ev.limit ?? 0) * 1000)})`;
    default:
      return `${x.key}: ${ev.measure} = ${fmt(ev.value)}${unit}`;
  }
}

function detailText(v: number | string | undefined): string {
  return v === undefined ? '?' : typeof v === 'number' ? fmt(v) : v;
}

/** The configured window ("10m" for a 10m window), or the observed span where there is none. */
function windowText(ev: Evidence): string {
  if (!ev.window) return '?';
  return formatDuration(ev.window.size ?? roundSpan(ev.window.end - ev.window.start));
}

/** Spans as people say them: seconds under two minutes, whole minutes beyond. */
export function roundSpan(ms: number): number {
  if (ms >= 120_000) return Math.round(ms / 60_000) * 60_000;
  return Math.round(ms / 1000) * 1000;
}
