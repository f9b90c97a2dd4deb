/**
 * Where the simulated history ends: 09:00 UTC of the latest day it has passed. The simulator's mix
 * of flows follows the time of day (night: few gate counts), so a window ending "now" made a
 * different backlog each hour (funds 57k at 08:00, 119k at 09:00); a fixed time of day makes every
 * run the same backlog for a seed, so runs and builds compare.
 */
export function fixedWindowEnd(now: number): number {
  const DAY = 86_400_000;
  const end = Math.floor(now / DAY) * DAY + 9 * 3_600_000;
  return end <= now ? end : end - DAY;
}
