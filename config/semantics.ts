import { isFlowwatchError } from '../kernel/errors';
import { createDetector } from '../detectors/registry';
import { compileRestricted } from '../expression/expression';
import { detectorName, type FlowwatchConfig } from './schema';
import { formatPath } from './format-issues';
import { attributeNames, lastSegment } from '../ingest/config';
export { measurementNames, attributeNames, lastSegment } from '../ingest/config';

const SIMULATED_FLOWS = new Set(['people', 'goods', 'funds']);

/** Cross-field checks the schema can't express: names that must exist, expressions that must compile. */
export function checkConfigSemantics(config: FlowwatchConfig): string[] {
  const problems: string[] = [];
  for (const [stream, s] of Object.entries(config.streams)) {
    const at = (...p: (string | number)[]) => formatPath(['streams', stream, ...p]);
    if (s.source.type === 'simulator' && !SIMULATED_FLOWS.has(stream)) {
      problems.push(
        `${at('source')}: the simulator only produces the streams people, goods and funds; stream "${stream}" needs another source (file)`,
      );
    }
    const base = Array.isArray(s.mapping.measurements) ? s.mapping.measurements.map(lastSegment) : Object.keys(s.mapping.measurements);
    const known = new Set(base);
    problems.push(...deriveProblems(stream, base, s.mapping.derive));
    for (const name of Object.keys(s.mapping.derive)) known.add(name);
    const attrs = new Set(attributeNames(s.mapping));
    s.detectors.forEach((d, i) => {
      const p = d as Record<string, unknown>;
      if (typeof p.measurement === 'string' && !known.has(p.measurement)) {
        problems.push(
          `${at('detectors', i, 'measurement')}: unknown measurement "${p.measurement}"; stream ${stream} has ${[...known].join(', ') || 'none'}`,
        );
        return;
      }
      if (typeof p.attribute === 'string' && !attrs.has(p.attribute)) {
        problems.push(
          `${at('detectors', i, 'attribute')}: unknown attribute "${p.attribute}"; stream ${stream} has ${[...attrs].join(', ') || 'none'}`,
        );
        return;
      }
      try {
        createDetector(d, { stream, name: detectorName(d, i, s.detectors), measurements: [...known] });
      } catch (err) {
        const field = isFlowwatchError(err) && err.details?.field ? String(err.details.field) : undefined;
        problems.push(`${field ? at('detectors', i, field) : at('detectors', i)}: ${isFlowwatchError(err) ? err.message : String(err)}`);
      }
    });
  }
  return problems;
}

/** Each derive expression that does not compile, one line each; later entries may use earlier ones. */
function deriveProblems(stream: string, measurements: readonly string[], derive: Record<string, string>): string[] {
  const problems: string[] = [];
  const known = new Set(measurements);
  for (const [name, text] of Object.entries(derive)) {
    try {
      compileRestricted(text, { symbols: (n) => known.has(n), knownNames: [...known] });
    } catch (err) {
      problems.push(`${formatPath(['streams', stream, 'mapping', 'derive', name])}: ${isFlowwatchError(err) ? err.message : String(err)}`);
    }
    known.add(name);
  }
  return problems;
}

/**
 * The derive expressions of a config the schema refused, read from the raw input wherever it has
 * the expected shape: so one run reports every bad expression, not only the schema's problems.
 */
export function rawDeriveProblems(raw: unknown): string[] {
  const streams = (raw as { streams?: unknown } | null)?.streams;
  if (!isObject(streams)) return [];
  const problems: string[] = [];
  for (const [stream, s] of Object.entries(streams)) {
    const mapping = isObject(s) ? s.mapping : undefined;
    if (!isObject(mapping) || !isObject(mapping.derive)) continue;
    const m = mapping.measurements;
    const measurements = Array.isArray(m)
      ? m.filter((f): f is string => typeof f === 'string').map(lastSegment)
      : isObject(m)
        ? Object.keys(m)
        : [];
    const derive = Object.fromEntries(
      Object.entries(mapping.derive).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length > 0),
    );
    problems.push(...deriveProblems(stream, measurements, derive));
  }
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
