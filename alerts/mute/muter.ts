/**
 * Silences and inhibition share one tiny interface (as in Alertmanager), so one mute stage
 * serves both: a muted alert is held back from notification, not forgotten.
 */
export interface Muter {
  /** Why these labels are muted now (a silence id, an inhibiting alert), or null. */
  mutedBy(labels: Readonly<Record<string, string>>, fingerprint: string): string | null;
}

/** Muted when any muter mutes. */
export class MuteStage implements Muter {
  constructor(private readonly muters: readonly Muter[]) {}
  mutedBy(labels: Readonly<Record<string, string>>, fingerprint: string): string | null {
    for (const m of this.muters) {
      const why = m.mutedBy(labels, fingerprint);
      if (why !== null) return why;
    }
    return null;
  }
}

export const nothingMuted: Muter = { mutedBy: () => null };
