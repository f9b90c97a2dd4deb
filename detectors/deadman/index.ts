import { z } from 'zod';
import { duration } from '../../kernel/duration';
import { defineDetectorSchema } from '../common';
import type { DetectorFactory } from '../types';
import { DeadmanDetector } from './deadman';

export const deadmanSchema = defineDetectorSchema('deadman', {
  /** Silence longer than this (now − last event time) fires. Default 5m. */
  timeout: duration({ min: 1 }).default(300_000),
});

export type DeadmanConfig = z.output<typeof deadmanSchema>;

export const deadman: DetectorFactory<DeadmanConfig> = {
  type: 'deadman',
  description: 'Fires when a key sends no events for longer than a timeout.',
  schema: deadmanSchema,
  create: (c) => new DeadmanDetector(c),
};
