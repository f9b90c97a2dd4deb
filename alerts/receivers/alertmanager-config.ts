/**
 * Config of what speaks Alertmanager (issue 21): the `format` keys of the webhook receiver and
 * the `alertmanager` receiver. alerts/config.ts composes them into the receiver union.
 */
import { z } from 'zod';
import { duration } from '../../kernel/duration';
import { receiverName } from './types';

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'expected an http(s) URL');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** Keys the webhook receiver takes for its body shape. */
export const webhookFormatKeys = {
  /** flowwatch's own body (version "1"), or Alertmanager's webhook message (version "4"). */
  format: z.enum(['flowwatch', 'alertmanager']).default('flowwatch'),
  /** format alertmanager: `externalURL`, and the base of each alert's `generatorURL` (flowwatch's API). */
  external_url: httpUrl.optional(),
  /** format alertmanager: at most this many alerts per message, the rest counted in `truncatedAlerts` (0: all). */
  max_alerts: z.number().int().min(0).default(0),
};

export const alertmanagerReceiverSchema = z
  .object({
    type: z.literal('alertmanager'),
    name: receiverName.default('alertmanager'),
    /** Every Alertmanager of the cluster (an HA pair: both); each gets every alert. Base URLs: /api/v2/alerts is appended. */
    urls: z.array(httpUrl).min(1, 'expected at least one Alertmanager URL'),
    /** Firing alerts are sent again this often, valid for 4 times as long (Prometheus: resend_delay 1m). */
    resend_interval: duration({ min: 1000 }).default(60_000),
    /** Resolved alerts are sent again (to instances that may have missed them) for this long. */
    resolved_retention: duration({ min: 0 }).default(15 * 60_000),
    timeout: duration({ min: 1 }).default(10_000),
    /** Environment variable holding a bearer token for the Alertmanagers (e.g. behind a proxy). */
    bearer_token_env: envName.optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** The base of each alert's `generatorURL` (flowwatch's API). */
    external_url: httpUrl.optional(),
  })
  .strict();

export type AlertmanagerReceiverConfig = z.output<typeof alertmanagerReceiverSchema>;
