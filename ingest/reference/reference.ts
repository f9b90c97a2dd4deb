import { readFileSync, statSync } from 'node:fs';
import { FlowwatchError } from '../../kernel/errors';
import { buildTables, labelsFor, readRows, type Entity, type TableProblem } from './tables';

/** Labels reference data gives an alert (the rest of its labels are left alone). */
export const REFERENCE_LABELS = ['place', 'place_name', 'district', 'party', 'where'] as const;

/** Reads and validates a set of table files; throws FW_CONFIG_INVALID listing every problem with file:line. */
export function loadTables(files: readonly string[]): Map<string, Entity> {
  const rows = [];
  const problems: TableProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ at: file, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const r = readRows(file, text);
    rows.push(...r.rows);
    problems.push(...r.problems);
  }
  const built = buildTables(rows);
  problems.push(...built.problems);
  if (problems.length > 0)
    throw new FlowwatchError(
      'FW_CONFIG_INVALID',
      `reference data is invalid:\n${problems.map((p) => `  ${p.at}: ${p.message}`).join('\n')}`,
      {
        details: { problems },
      },
    );
  return built.entities;
}

/** Problems of a set of table files, as "file:line: message" lines (none when valid). */
export function tableProblems(files: readonly string[]): TableProblem[] {
  try {
    loadTables(files);
    return [];
  } catch (err) {
    return (
      ((err as FlowwatchError).details?.problems as TableProblem[] | undefined) ?? [
        { at: files.join(', '), message: (err as Error).message },
      ]
    );
  }
}

export interface ReferenceLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The reference tables in use, reloaded without a restart: `refresh()` rereads the files when
 * one's modification time or size changed (a timer calls it every reload_interval; `reload()`
 * rereads unconditionally — the API or SIGHUP). A reload that fails validation keeps the tables
 * in use and logs every problem, so a half-edited file never strips labels from alerts.
 */
export class ReferenceData {
  private entities = new Map<string, Entity>();
  private stamp = '';
  private timer: ReturnType<typeof setInterval> | undefined;
  /** How many successful loads so far (tests, metrics). */
  version = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly log?: ReferenceLog,
  ) {
    this.reload();
  }

  /** Rereads the files; throws (keeping the tables in use) when they are invalid. */
  reload(): void {
    const stamp = this.currentStamp();
    this.entities = loadTables(this.files);
    this.stamp = stamp;
    this.version++;
  }

  /** Rereads the files if they changed; true when new tables are in use. Never throws. */
  refresh(): boolean {
    const stamp = this.currentStamp();
    if (stamp === this.stamp) return false;
    try {
      this.reload();
      this.log?.info({ files: this.files, entities: this.entities.size, version: this.version }, 'reference data reloaded');
      return true;
    } catch (err) {
      this.stamp = stamp; // say it once per change, not on every tick
      this.log?.error({ err: { message: (err as Error).message } }, 'reference data changed but is invalid; keeping the tables in use');
      return false;
    }
  }

  /** Looks for changes every `intervalMs` (0: never). */
  watch(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get size(): number {
    return this.entities.size;
  }

  entity(id: string): Entity | undefined {
    return this.entities.get(id);
  }

  /** The reference labels of a key (empty when the tables do not know it). */
  labels(key: string): Record<string, string> {
    return labelsFor(this.entities, key);
  }

  private currentStamp(): string {
    return this.files
      .map((f) => {
        try {
          const s = statSync(f);
          return `${s.mtimeMs}:${s.size}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }
}
