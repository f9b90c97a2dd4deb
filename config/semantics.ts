import { isFlowwatchError } from '../core/errors';
import { createDetector } from '../detectors/registry';
import { compileRestricted } from './expression';
import { detectorName, type FlowwatchConfig, type MappingConfig } from './schema';
import { formatPath } from './format-issues';

const SIMULATED_FLOWS = new Set(['people', 'goods', 'funds']);

export function measurementNames(m: MappingConfig): string[] {
  const base = Array.isArray(m.measurements) ? m.measurements.map(lastSegment) : Object.keys(m.measurements);
  return [...base, ...Object.keys(m.derive)];
}

export function attributeNames(m: MappingConfig): string[] {
  return Array.isArray(m.attributes) ? m.attributes.map(lastSegment) : Object.keys(m.attributes);
}

/** "device.temp" is measured as "temp". */
export function lastSegment(field: string): string {
  const i = field.lastIndexOf('.');
  return i < 0 ? field : field.slice(i + 1);
}

/** Cross-field checks the schema can't express: names that must exist, expressions that must compile. */
export function checkConfigSemantics(config: FlowwatchConfig): string[] {
  const problems: string[] = [];
  for (const [stream, s] of Object.entries(config.streams)) {
    const at = (...p: (string | number)[]) => formatPath(['streams', stream, ...p]);
    if (s.source.type === 'simulator' && !SIMULATED_FLOWS.has(stream)) {
      problems.push(`${at('source')}: the simulator only produces the streams people, goods and funds; stream "${stream}" needs another source (file)`);
    }
    const base = Array.isArray(s.mapping.measurements) ? s.mapping.measurements.map(lastSegment) : Object.keys(s.mapping.measurements);
    const known = new Set(base);
    for (const [name, text] of Object.entries(s.mapping.derive)) {
      try {
        compileRestricted(text, { symbols: (n) => known.has(n), knownNames: [...known] });
      } catch (err) {
        problems.push(`${at('mapping', 'derive', name)}: ${isFlowwatchError(err) ? err.message : String(err)}`);
      }
      known.add(name);
    }
    const attrs = new Set(attributeNames(s.mapping));
    s.detectors.forEach((d, i) => {
      const p = d as Record<string, unknown>;
      if (typeof p.measurement === 'string' && !known.has(p.measurement)) {
        problems.push(`${at('detectors', i, 'measurement')}: unknown measurement "${p.measurement}"; stream ${stream} has ${[...known].join(', ') || 'none'}`);
        return;
      }
      if (typeof p.attribute === 'string' && !attrs.has(p.attribute)) {
        problems.push(`${at('detectors', i, 'attribute')}: unknown attribute "${p.attribute}"; stream ${stream} has ${[...attrs].join(', ') || 'none'}`);
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
