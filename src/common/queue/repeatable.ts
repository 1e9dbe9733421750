import type { Queue } from 'bull';
import type { AppLogger } from '../logging/app-logger';

/** How long scheduling may wait for Redis before the process starts without it. */
const SCHEDULE_TIMEOUT_MS = 3000;

/**
 * Schedules a repeatable maintenance job. Bull keeps one schedule per name and interval, however
 * many processes register it, so every process registers it on start. Without Redis the process
 * still starts; the next start schedules it.
 */
export async function scheduleRepeatable(queue: Queue, name: string, everyMs: number, logger: AppLogger): Promise<void> {
  try {
    await Promise.race([
      queue.add(name, {}, { repeat: { every: everyMs }, removeOnComplete: true, removeOnFail: 100 }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('queue unavailable')), SCHEDULE_TIMEOUT_MS).unref()),
    ]);
  } catch (err) {
    logger.warn({ err: (err as Error).message, job: name }, 'could not schedule a maintenance job; it will be scheduled on the next start');
  }
}
