import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../kernel/duration';

export function durationOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === null) throw new InvalidArgumentError(`expected a duration like "30s" or "5m", got "${value}"`);
  return ms;
}

export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return Number(value);
}

export function speedOption(value: string): number | 'max' {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number (simulated seconds per second) or "max", got "${value}"`);
  return n;
}

/** A listen address "host:port" (port 0: any free port) or "off". */
export function listenOption(value: string): string {
  const v = value.trim();
  if (v === 'off') return v;
  const m = /^([^\s]*):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError(`expected HOST:PORT (e.g. 127.0.0.1:9465) or "off", got "${value}"`);
  return v;
}
