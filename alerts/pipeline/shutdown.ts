import type { Logger } from 'pino';
import type { Outboxes } from '../delivery/outboxes';
import type { StageContext } from './context';
import type { Flush } from './flush';

/** How often the final drain of a memory store tries the receivers again. */
const DRAIN_RETRY_MS = 100;

export interface DrainParts {
  ctx: StageContext;
  flush: Flush;
  outboxes: Outboxes;
  log: Logger;
  /** Aborted when close() stops waiting for the drain: the drain then stops too, instead of going on unseen. */
  signal: AbortSignal;
}

/**
 * The last delivery before stopping. With a memory store, groups still waiting are flushed now
 * and delivery is retried for drain_timeout (the notifications would be lost); with a shared
 * store they stay for the other workers or the next start. Never throws: a failure is logged.
 */
export async function drainOnClose(d: DrainParts): Promise<void> {
  try {
    if (!d.ctx.store.shared) await drainMemoryStore(d);
    else {
      await d.outboxes.deliver(false);
      const left = await d.outboxes.undelivered();
      if (left > 0)
        d.log.warn(
          { notifications: left },
          'stopping with undelivered notifications; they stay in Redis for the other workers or the next start',
        );
    }
  } catch (err) {
    d.log.warn({ err }, 'final alert delivery failed');
  }
}

async function drainMemoryStore({ ctx, flush, outboxes, log, signal }: DrainParts): Promise<void> {
  await flush.flushDue(true);
  const deadline = ctx.clock.now() + ctx.config.delivery.drain_timeout;
  await outboxes.deliver(true);
  while ((await outboxes.undelivered()) > 0 && ctx.clock.now() < deadline) {
    await new Promise((r) => setTimeout(r, DRAIN_RETRY_MS));
    if (signal.aborted) return; // close() gave up waiting and moved on: no more attempts behind its back
    outboxes.retryNow();
    await outboxes.deliver(true);
  }
  const left = await outboxes.undelivered();
  if (left > 0)
    log.error(
      { notifications: left },
      'stopping with undelivered notifications (memory store: they are lost; use the redis store to keep them)',
    );
}
