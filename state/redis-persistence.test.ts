/** The persistence verdict on hand-written settings (the I/O is covered by test/integration/redis-wipe.test.ts). */
import { judgePersistence } from './redis-persistence';

it('AOF on is persisted', () => {
  expect(judgePersistence({ source: 'config', aof: true, appendfsync: 'everysec', save: '' })).toEqual({
    persisted: true,
    message: 'Redis persists state with AOF (appendfsync everysec)',
  });
});

it('appendfsync no is persisted, with a note on what a machine crash costs', () => {
  const v = judgePersistence({ source: 'config', aof: true, appendfsync: 'no' });
  expect(v.persisted).toBe(true);
  expect(v.message).toMatch(/machine crash/);
});

it('no AOF and no RDB: not persisted; the line says what, why and how to fix', () => {
  const v = judgePersistence({ source: 'config', aof: false, appendfsync: 'everysec', save: '' });
  expect(v.persisted).toBe(false);
  expect(v.message).toMatch(/^Redis does not persist state \(appendonly no, no RDB save\)/);
  expect(v.message).toMatch(/restart wipes detector state, partition positions and the alert outbox/);
  expect(v.message).toMatch(/appendonly yes and appendfsync everysec/);
});

it('RDB snapshots only: not persisted enough (a restart rolls back to the last snapshot)', () => {
  const v = judgePersistence({ source: 'config', aof: false, save: '3600 1 300 100' });
  expect(v.persisted).toBe(false);
  expect(v.message).toMatch(/only by RDB snapshots \(save "3600 1 300 100"\)/);
  expect(v.message).toMatch(/rolls back detector state/);
});

it('CONFIG disabled (managed Redis): judged from INFO persistence', () => {
  expect(judgePersistence({ source: 'info', aof: true }).persisted).toBe(true);
  const v = judgePersistence({ source: 'info', aof: false });
  expect(v.persisted).toBe(false);
  expect(v.message).toMatch(/CONFIG is disabled/);
});

it('neither CONFIG nor INFO answers: cannot tell, says so', () => {
  const v = judgePersistence({ source: 'none', aof: null, error: 'NOPERM' });
  expect(v.persisted).toBe(false);
  expect(v.message).toMatch(/cannot tell whether Redis persists state \(CONFIG and INFO failed: NOPERM\)/);
});
