import { Inhibitor } from '../mute/inhibit';
import { MuteStage, type Muter } from '../mute/muter';
import { Silencer, type SilencesDoc } from '../mute/silence';
import type { AlertRecord } from '../record';
import { K } from '../store/types';
import type { StageContext } from './context';

/** The records of the alerts in the active index (firing ones), by fingerprint. */
export async function activeRecords(ctx: StageContext): Promise<Map<string, AlertRecord>> {
  const fps = await ctx.store.members(K.active);
  const docs = (await ctx.store.mget(fps.map(K.record))) as Array<AlertRecord | undefined>;
  const out = new Map<string, AlertRecord>();
  for (const r of docs) if (r) out.set(r.fingerprint, r);
  return out;
}

/**
 * The mute stage now: silences and inhibition, from one snapshot per pass. Inhibition needs
 * every firing alert (their records); without inhibit rules nothing reads them, so a pass does
 * not load thousands of records for nothing. `active`: records the caller has read already.
 */
export async function muterNow(ctx: StageContext, now: number, active?: Map<string, AlertRecord>): Promise<Muter> {
  const [silences] = (await ctx.store.mget([K.silences])) as [SilencesDoc | undefined];
  const rules = ctx.inhibitRules;
  let firing: Array<{ fingerprint: string; labels: Record<string, string> }> = [];
  if (rules.length > 0) {
    const records = active ?? (await activeRecords(ctx));
    firing = [...records.values()]
      .filter((r) => r.alert.status === 'firing')
      .map((r) => ({ fingerprint: r.fingerprint, labels: r.alert.labels }));
  }
  return new MuteStage([new Silencer(Object.values(silences?.items ?? {}), now), new Inhibitor(rules, firing)]);
}

/** The firing alert an API command names by id or fingerprint (404 when none is firing). */
export async function firingRecord(ctx: StageContext, idOrFingerprint: string, notFound: (message: string) => Error): Promise<AlertRecord> {
  const records = await activeRecords(ctx);
  const target = [...records.values()].find(
    (r) => r.alert.status === 'firing' && (r.alert.id === idOrFingerprint || r.fingerprint === idOrFingerprint),
  );
  if (!target) throw notFound(`no firing alert with id ${JSON.stringify(idOrFingerprint)}`);
  return target;
}
