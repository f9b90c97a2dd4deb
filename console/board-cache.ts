import type { AlertingPipeline } from '../alerts/alerting';
import type { Access } from '../api/access';
import { readBoard, type BoardState } from './board';

/** An alert on the board, serialised once: its JSON (a BoardAlert) and what the feed needs to know who sees it. */
export interface BoardEntry {
  fingerprint: string;
  json: string;
  teams: string[];
  /** Ids of the silences touching it. */
  silences: string[];
}

/** One read of the board: every firing alert by fingerprint, and the silences shown. */
export interface BoardRound {
  entries: Map<string, BoardEntry>;
  silences: BoardState['silences'];
  silencesJson: string;
}

/**
 * The board read from the store, each alert serialised at most once per change: an alert whose
 * API view, own audit trail and the silences are the same as at the last read keeps
 * its entry, the very same object, so the feed tells it unchanged by identity and neither routes,
 * matches nor serialises it again. (Profiled at ~1,000 alert changes/s, decorating and
 * serialising every alert on every read was about half of what an open board cost the worker.)
 */
export class BoardCache {
  private memo = new Map<string, { view: string; context: string; trail: string; entry: BoardEntry }>();

  constructor(private readonly o: { alerting: AlertingPipeline; access: Access }) {}

  async read(): Promise<BoardRound> {
    const r = await readBoard(this.o.alerting, this.o.access);
    const memo = new Map<string, { view: string; context: string; trail: string; entry: BoardEntry }>();
    const entries = new Map<string, BoardEntry>();
    for (const v of r.views) {
      const view = JSON.stringify(v);
      const old = this.memo.get(v.fingerprint);
      const trail = r.trail(v.fingerprint);
      let entry: BoardEntry;
      if (old && old.view === view && old.context === r.context && old.trail === trail) entry = old.entry;
      else {
        const d = r.decorate(v);
        entry = { fingerprint: v.fingerprint, json: joinObjects(view, JSON.stringify(d)), teams: d.teams, silences: d.silences };
      }
      memo.set(v.fingerprint, { view, context: r.context, trail, entry });
      entries.set(v.fingerprint, entry);
    }
    this.memo = memo;
    return { entries, silences: r.silences, silencesJson: JSON.stringify(r.silences) };
  }
}

/** `{...a, ...b}` on two serialised objects, without parsing them (a later key wins in JSON.parse, as in a spread). */
export function joinObjects(a: string, b: string): string {
  if (a === '{}') return b;
  if (b === '{}') return a;
  return `${a.slice(0, -1)},${b.slice(1)}`;
}
