/**
 * A Kafka record names its offset apart from its fetch's source (RawRecord.offset, issue 22): a
 * reject still says exactly where the record came from.
 */
import { silentLogger } from '../kernel/logger';
import { Pipeline } from './pipeline';
import { SCOPE, config } from '../test/fixtures/state-layout-v1/scenario';

it("a reject's source is the record's source and offset, or its source alone", () => {
  const p = new Pipeline(config, silentLogger());
  const now = Date.UTC(2026, 10, 27, 8, 0);
  const r = p.processBatch(
    [
      { stream: 'funds', payload: Buffer.from('{"account":'), source: 'payments/3', offset: '42' },
      { stream: 'funds', payload: Buffer.from('not json'), source: 'payments.jsonl:7' },
      { stream: 'nope', payload: Buffer.from('{}'), source: 'other/0', offset: '9' },
    ],
    now,
    SCOPE,
  );
  expect(r.rejects.map((x) => [x.reason, x.source])).toEqual([
    ['malformed', 'payments/3@42'],
    ['malformed', 'payments.jsonl:7'],
    ['unknown_stream', 'other/0@9'],
  ]);
});
