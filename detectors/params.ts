import { z } from 'zod';
import { slideProblem } from './window/pane-ring';

/** Parameter pieces several detector schemas share. */

/** Which side of the baseline counts as anomalous. */
export const direction = z.enum(['both', 'up', 'down']);

/** Attribute/measurement name as written in stream mappings. */
export const fieldName = z.string().min(1, 'expected a name');

type Issue = { code: 'custom'; path: PropertyKey[]; message: string };
type IssueSink = { addIssue(issue: Issue): void };

/** superRefine helper: an explicit slide must divide the window into at most MAX_PANES panes. */
export function checkSlide(cfg: { window: number; slide?: number }, ctx: IssueSink): void {
  if (cfg.slide === undefined) return;
  const problem = slideProblem(cfg.window, cfg.slide);
  if (problem) ctx.addIssue({ code: 'custom', path: ['slide'], message: problem });
}

/** superRefine helper: a clear level must be on the normal side of its limit. */
export function checkClear(
  ctx: IssueSink,
  field: string,
  clear: number | undefined,
  limitField: string,
  limit: number | undefined,
  side: 'le' | 'ge',
): void {
  if (clear === undefined) return;
  if (limit === undefined) {
    ctx.addIssue({ code: 'custom', path: [field], message: `needs ${limitField}` });
    return;
  }
  if (side === 'le' ? clear > limit : clear < limit) {
    ctx.addIssue({ code: 'custom', path: [field], message: `must be ${side === 'le' ? '≤' : '≥'} ${limitField} (${limit})` });
  }
}
