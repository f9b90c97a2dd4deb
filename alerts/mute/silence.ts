import { matchesAll, parseMatchers, type Matcher } from '../matchers';
import type { Muter } from './muter';

/** A silence: alerts whose labels match every matcher are not notified between startsAt and endsAt. */
export interface Silence {
  id: string;
  matchers: string[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
  /** The teams of the user who created it (absent: an admin's, or from before teams); who else may expire it. */
  teams?: string[];
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Silence, now: number): SilenceState {
  if (now >= s.endsAt) return 'expired';
  if (now < s.startsAt) return 'pending';
  return 'active';
}

/** Mutes what the active silences match, at one instant. */
export class Silencer implements Muter {
  private readonly active: Array<{ id: string; matchers: Matcher[] }>;
  constructor(silences: readonly Silence[], now: number) {
    this.active = silences.filter((s) => silenceState(s, now) === 'active').map((s) => ({ id: s.id, matchers: parseMatchers(s.matchers) }));
  }
  mutedBy(labels: Readonly<Record<string, string>>): string | null {
    for (const s of this.active) if (matchesAll(s.matchers, labels)) return `silence:${s.id}`;
    return null;
  }
}

/** The silences document: every silence by id (expired ones kept for the retention time). */
export interface SilencesDoc {
  items: Record<string, Silence>;
}
