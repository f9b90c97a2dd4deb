import { kafkaHint } from './kafka-source';

describe('kafkaHint: what to check when Kafka refuses the connection', () => {
  it('a SASL mechanism against a plaintext listener names the settings and the listener', () => {
    const err = Object.assign(new Error('Request is not valid given the current SASL state'), {
      name: 'KafkaJSProtocolError',
      type: 'ILLEGAL_SASL_STATE',
    });
    expect(kafkaHint(err, { KAFKA_SASL_MECHANISM: 'plain' })).toMatch(
      /check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.*PLAINTEXT listener/,
    );
    expect(kafkaHint(new Error('Connection closed'), { KAFKA_SASL_MECHANISM: 'plain' })).toMatch(/PLAINTEXT listener/);
  });
  it('says nothing extra for failures whose message is enough', () => {
    expect(kafkaHint(new Error('Connection timeout'), {})).toBe('');
    expect(kafkaHint(Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' }), {})).toMatch(/lack an ACL/);
  });
});
