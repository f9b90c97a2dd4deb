/**
 * Reference data: entity tables that say where a key is and whom it belongs to — gate → venue →
 * district, container → truck → depot → district, account → owner (a party) and merchant
 * location. Read from CSV, JSONL or YAML files; every problem is reported with file:line.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { LineCounter, parseDocument, isSeq, isMap } from 'yaml';

/** Entity types and what they are in a chain: a place, a district, a party, or a thing inside one. */
export const ENTITY_TYPES = ['district', 'venue', 'depot', 'site', 'gate', 'truck', 'container', 'account', 'party'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
/** Types that are places: an alert on a key inside one gets `place` = the nearest of them. */
export const PLACE_TYPES: ReadonlySet<EntityType> = new Set(['venue', 'depot', 'site']);

export interface Entity {
  type: EntityType;
  id: string;
  /** Human name ("Central Stadium"); defaults to the id. */
  name: string;
  /** The entity it is in (gate → venue, container → truck, venue → district). */
  in?: string;
  /** The party that owns it (depot → its operator, account → its holder). */
  owner?: string;
  /** Where it was defined: "file:line". */
  at: string;
}

export interface TableProblem {
  at: string;
  message: string;
}

/** A row as read from a file, before validation. */
interface RawRow {
  at: string;
  row: Record<string, unknown>;
}

/** Rows of one file (by extension: .csv, .jsonl/.ndjson, .yaml/.yml, .json as a list). */
export function readRows(file: string, text: string): { rows: RawRow[]; problems: TableProblem[] } {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return csvRows(file, text);
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return jsonlRows(file, text);
  if (lower.endsWith('.yaml') || lower.endsWith('.yml') || lower.endsWith('.json')) return yamlRows(file, text);
  return { rows: [], problems: [{ at: file, message: 'unknown table format: expected .csv, .jsonl, .yaml or .json' }] };
}

function csvRows(file: string, text: string): { rows: RawRow[]; problems: TableProblem[] } {
  try {
    const records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, info: true, comment: '#' }) as Array<{
      record: Record<string, string>;
      info: { lines: number };
    }>;
    return { rows: records.map((r) => ({ at: `${file}:${r.info.lines}`, row: r.record })), problems: [] };
  } catch (err) {
    const e = err as Error & { lines?: number };
    return { rows: [], problems: [{ at: `${file}:${e.lines ?? 1}`, message: e.message }] };
  }
}

function jsonlRows(file: string, text: string): { rows: RawRow[]; problems: TableProblem[] } {
  const rows: RawRow[] = [];
  const problems: TableProblem[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const at = `${file}:${i + 1}`;
    try {
      const v = JSON.parse(t) as unknown;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) problems.push({ at, message: 'expected a JSON object per line' });
      else rows.push({ at, row: v as Record<string, unknown> });
    } catch (err) {
      problems.push({ at, message: `malformed JSON: ${(err as Error).message}` });
    }
  });
  return { rows, problems };
}

function yamlRows(file: string, text: string): { rows: RawRow[]; problems: TableProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0)
    return {
      rows: [],
      problems: doc.errors.map((e) => ({ at: `${file}:${e.linePos?.[0].line ?? 1}`, message: e.message.split('\n')[0] })),
    };
  const list = isMap(doc.contents) ? doc.contents.get('entities', true) : doc.contents;
  if (!isSeq(list)) return { rows: [], problems: [{ at: `${file}:1`, message: 'expected a list of entities (or "entities:" with one)' }] };
  const rows: RawRow[] = [];
  const problems: TableProblem[] = [];
  for (const item of list.items) {
    const line = lc.linePos((item as { range?: number[] | null }).range?.[0] ?? 0).line;
    const v = (item as { toJSON?: () => unknown }).toJSON?.() as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) problems.push({ at: `${file}:${line}`, message: 'expected a mapping' });
    else rows.push({ at: `${file}:${line}`, row: v as Record<string, unknown> });
  }
  return { rows, problems };
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** One row → an entity, or a problem. */
function entityOf({ at, row }: RawRow): Entity | TableProblem {
  const str = (k: string) => (row[k] === undefined || row[k] === null || row[k] === '' ? undefined : String(row[k]).trim());
  const extra = Object.keys(row).filter((k) => !['type', 'id', 'name', 'in', 'owner'].includes(k));
  if (extra.length > 0)
    return { at, message: `unknown column ${extra.map((k) => `"${k}"`).join(', ')}; columns are type, id, name, in, owner` };
  const type = str('type');
  if (!type || !(ENTITY_TYPES as readonly string[]).includes(type))
    return { at, message: `unknown type ${JSON.stringify(type ?? '')}; expected one of ${ENTITY_TYPES.join(', ')}` };
  const id = str('id');
  if (!id || !ID.test(id)) return { at, message: `expected an id (letters, digits, _ . : -), got ${JSON.stringify(id ?? '')}` };
  return { type: type as EntityType, id, name: str('name') ?? id, in: str('in'), owner: str('owner'), at };
}

/** What each type may be in: the chains the issue names, and nothing that would make a cycle of types. */
const PARENTS: Record<EntityType, readonly EntityType[]> = {
  district: [],
  venue: ['district'],
  depot: ['district'],
  site: ['district', 'venue'],
  gate: ['venue', 'site', 'depot'],
  truck: ['depot'],
  container: ['truck', 'depot'],
  account: ['venue', 'site', 'depot', 'district'],
  party: ['district', 'venue', 'site'],
};

function sameEntity(a: Entity, b: Entity): boolean {
  return a.type === b.type && a.name === b.name && a.in === b.in && a.owner === b.owner;
}

/**
 * Validates rows of all files together: ids unique (the same row twice is fine, two different
 * rows for one id are a conflict), `in` naming an entity of a type it may be in, `owner` naming a party.
 */
export function buildTables(rows: readonly RawRow[]): { entities: Map<string, Entity>; problems: TableProblem[] } {
  const entities = new Map<string, Entity>();
  const problems: TableProblem[] = [];
  for (const raw of rows) {
    const e = entityOf(raw);
    if (!('id' in e)) {
      problems.push(e);
      continue;
    }
    const prev = entities.get(e.id);
    if (prev && !sameEntity(prev, e))
      problems.push({ at: e.at, message: `conflicting entry for "${e.id}": already defined differently at ${prev.at}` });
    else if (!prev) entities.set(e.id, e);
  }
  for (const e of entities.values()) {
    if (e.in !== undefined) {
      const p = entities.get(e.in);
      if (!p) problems.push({ at: e.at, message: `${e.type} "${e.id}" is in unknown entity "${e.in}"` });
      else if (!PARENTS[e.type].includes(p.type))
        problems.push({
          at: e.at,
          message: `a ${e.type} cannot be in a ${p.type} ("${p.id}"); a ${e.type} is in ${PARENTS[e.type].join(' or ') || 'nothing'}`,
        });
    }
    if (e.owner !== undefined) {
      const o = entities.get(e.owner);
      if (!o) problems.push({ at: e.at, message: `${e.type} "${e.id}" is owned by unknown party "${e.owner}"` });
      else if (o.type !== 'party') problems.push({ at: e.at, message: `owner "${e.owner}" of "${e.id}" is a ${o.type}, expected a party` });
    }
  }
  return { entities, problems };
}

/** Labels an alert on `key` gets: place, place_name, district, party, and `where` ("Gate 3 at Central Stadium (Haidian district)"). */
export function labelsFor(entities: ReadonlyMap<string, Entity>, key: string): Record<string, string> {
  const start = entities.get(key);
  if (!start) return {};
  const out: Record<string, string> = {};
  let place: Entity | undefined;
  let district: Entity | undefined;
  let party: string | undefined;
  const seen = new Set<string>();
  for (let e: Entity | undefined = start; e && !seen.has(e.id); e = e.in ? entities.get(e.in) : undefined) {
    seen.add(e.id);
    if (!place && PLACE_TYPES.has(e.type)) place = e;
    if (!district && e.type === 'district') district = e;
    if (!party && e.owner) party = e.owner;
    if (!party && e.type === 'party') party = e.id;
  }
  if (place) Object.assign(out, { place: place.id, place_name: place.name });
  if (district) out.district = district.id;
  if (party) out.party = party;
  const parts = [start.name];
  if (place && place !== start) parts.push(`at ${place.name}`);
  if (district) parts.push(`(${district.name}${/district/i.test(district.name) ? '' : ' district'})`);
  out.where = parts.join(' ');
  return out;
}
