import type { z } from 'zod';

/** Renders a config path the way users write it: streams.funds.detectors[2].window */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += (out ? '.' : '') + String(p);
  }
  return out || '(top level)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  // YAML's .nan and .inf parse to numbers JSON cannot spell (it would say null).
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '.nan (not a number)' : v > 0 ? '.inf' : '-.inf';
  if (Array.isArray(v) && v.length === 0) return 'an empty list';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** One line per problem: "<path>: <what was expected>, got <what was there>". */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    const got = valueAt(input, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const k of issue.keys) lines.push(`${formatPath([...issue.path, k])}: unknown key "${k}"`);
        break;
      case 'invalid_type':
        lines.push(
          got === undefined ? `${path}: required (expected ${issue.expected})` : `${path}: expected ${issue.expected}, got ${show(got)}`,
        );
        break;
      case 'invalid_union': {
        const disc = (issue as { discriminator?: string; options?: unknown[] }).discriminator;
        if (disc) {
          const options = ((issue as { options?: unknown[] }).options ?? []).map(String).join(', ');
          lines.push(
            got === undefined
              ? `${path}: required; one of ${options}`
              : `${path}: unknown ${disc} ${show(got)}; expected one of ${options}`,
          );
        } else {
          // Report the branch that got furthest: its issues are the most specific.
          const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
          const best = branches.slice().sort((a, b) => deepest(b) - deepest(a))[0];
          if (best && best.length > 0)
            lines.push(
              ...formatIssues(
                best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
                input,
              ),
            );
          else lines.push(`${path}: ${issue.message}, got ${show(got)}`);
        }
        break;
      }
      case 'invalid_value':
        lines.push(`${path}: expected one of ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${show(got)}`);
        break;
      case 'custom':
        lines.push(`${path}: ${issue.message}`);
        break;
      case 'too_small':
      case 'too_big': {
        // A schema's own message says it best; zod's default ("Too small: expected array to have
        // >=1 items") is said in words here.
        if (!/^Too (small|big)/.test(issue.message)) {
          lines.push(`${path}: ${issue.message}`);
          break;
        }
        const i = issue as { origin?: string; minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean };
        const bound = issue.code === 'too_small' ? i.minimum : i.maximum;
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        const what =
          i.origin === 'array' || i.origin === 'set'
            ? `${word} ${bound} item${Number(bound) === 1 ? '' : 's'}`
            : i.origin === 'string'
              ? `${word} ${bound} character${Number(bound) === 1 ? '' : 's'}`
              : `${issue.code === 'too_small' ? (i.inclusive === false ? 'more than' : 'at least') : i.inclusive === false ? 'less than' : 'at most'} ${bound}`;
        lines.push(`${path}: expected ${what}, got ${show(got)}`);
        break;
      }
      default:
        lines.push(
          `${path}: ${issue.message.replace(/^Invalid input: /, '')}${got !== undefined && typeof got !== 'object' ? `, got ${show(got)}` : ''}`,
        );
    }
  }
  return [...new Set(lines)];
}

function deepest(issues: readonly z.core.$ZodIssue[]): number {
  return issues.reduce((m, i) => Math.max(m, i.path.length), 0) - issues.length * 0.01;
}
