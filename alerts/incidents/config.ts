/**
 * The `incidents:` block of the config: reference data (entity tables), departments (who
 * responds, through which receiver) and correlation rules (which alerts make one incident).
 * config/schema.ts includes it; checkIncidentsConfig does the cross-field checks.
 */
import { z } from 'zod';
import { duration } from '../../kernel/duration';
import { tableProblems } from '../../ingest/reference/reference';
import { matcherProblem } from '../matchers';
import { receiverName } from '../receivers/types';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'expected a name like "public-security" (letters, digits, _ -)');

const matcherList = z.array(
  z.string().superRefine((s, ctx) => {
    const p = matcherProblem(s);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  }),
);

const referenceSchema = z
  .object({
    /** Entity tables (.csv, .jsonl, .yaml), relative to the working directory. */
    files: z.array(z.string().min(1)).min(1, 'expected at least one table file'),
    /** How often the files are looked at for changes (0: only on reload through the API or SIGHUP). */
    reload_interval: duration().default(10_000),
  })
  .strict();

const departmentSchema = z
  .object({
    /** The receiver incident notifications for this department go to. */
    receiver: receiverName,
    description: z.string().optional(),
  })
  .strict();

export const correlationRuleSchema = z
  .object({
    name,
    /** The label whose shared value joins alerts: place, district, party (from reference data) or any label. */
    join_on: z.string().min(1),
    /** Only alerts matching all of these take part (default: every alert carrying `join_on`). */
    matchers: matcherList.default([]),
    /** Only alerts of these streams take part (default: all). */
    streams: z.array(z.string().min(1)).optional(),
    /** Alerts whose starts lie within this much event time of each other join. */
    window: duration({ min: 1000 }).default(15 * 60_000),
    /** An incident opens when the joined firing alerts come from at least this many distinct streams... */
    min_streams: z.number().int().min(1).default(2),
    /** ...and number at least this many. */
    min_alerts: z.number().int().min(1).default(2),
    /** The incident's severity: fixed, or `max` of its members'. */
    severity: z.enum(['info', 'warning', 'critical', 'max']).default('max'),
    /** Departments the incident goes to (names under incidents.departments). */
    departments: z.array(name).min(1, 'expected at least one department'),
    /** Title; {value} is the joined value, {rule} the rule, {<label>} a label of the first member (e.g. {where}, {district}). */
    title: z.string().min(1).default('{rule}: {value}'),
  })
  .strict();

export const incidentsSchema = z
  .object({
    reference: referenceSchema.optional(),
    departments: z.record(name, departmentSchema).default({}),
    rules: z.array(correlationRuleSchema).default([]),
  })
  .strict();

export type IncidentsConfig = z.output<typeof incidentsSchema>;
export type CorrelationRule = z.output<typeof correlationRuleSchema>;

type Problem = { path: (string | number)[]; message: string };

/** Cross-field checks: unique rule names, departments and receivers that exist, known streams, valid reference tables. */
export function checkIncidentsConfig(c: {
  incidents?: IncidentsConfig;
  receivers: readonly { name: string }[];
  streams: Record<string, unknown>;
}): Problem[] {
  const inc = c.incidents;
  if (!inc) return [];
  const problems: Problem[] = [];
  const receivers = new Set(c.receivers.map((r) => r.name));
  for (const [dept, d] of Object.entries(inc.departments))
    if (!receivers.has(d.receiver))
      problems.push({
        path: ['incidents', 'departments', dept, 'receiver'],
        message: `unknown receiver "${d.receiver}"; receivers are ${[...receivers].join(', ')}`,
      });
  const seen = new Set<string>();
  inc.rules.forEach((r, i) => {
    if (seen.has(r.name)) problems.push({ path: ['incidents', 'rules', i, 'name'], message: `duplicate rule name "${r.name}"` });
    seen.add(r.name);
    r.departments.forEach((d, j) => {
      if (!(d in inc.departments))
        problems.push({
          path: ['incidents', 'rules', i, 'departments', j],
          message: `unknown department "${d}"; departments are ${Object.keys(inc.departments).join(', ') || 'none (add incidents.departments)'}`,
        });
    });
    (r.streams ?? []).forEach((s, j) => {
      if (!(s in c.streams))
        problems.push({
          path: ['incidents', 'rules', i, 'streams', j],
          message: `unknown stream "${s}"; streams are ${Object.keys(c.streams).join(', ')}`,
        });
    });
    if (r.streams && r.min_streams > r.streams.length)
      problems.push({
        path: ['incidents', 'rules', i, 'min_streams'],
        message: `min_streams ${r.min_streams} can never be met by the ${r.streams.length} stream(s) listed in streams`,
      });
  });
  const files = inc.reference?.files ?? [];
  for (const p of tableProblems(files)) {
    const i = files.findIndex((f) => p.at === f || p.at.startsWith(`${f}:`));
    problems.push({ path: ['incidents', 'reference', 'files', ...(i >= 0 ? [i] : [])], message: `${p.at}: ${p.message}` });
  }
  return problems;
}
