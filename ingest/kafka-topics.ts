import type { Kafka } from 'kafkajs';

/**
 * Creates missing topics up front (with several partitions, so work can spread over workers)
 * instead of relying on broker auto-creation, whose first metadata answer is an error.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], partitions = 4): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
