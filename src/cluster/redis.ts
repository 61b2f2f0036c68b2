/** Redis connection for cluster state (location, presence, queues arrive in later issues). */
import type { Redis } from 'ioredis';

/** Connects and checks with PING; throws a plain-words error when Redis does not answer. */
export async function connectRedis(url: string, timeoutMs = 3000): Promise<Redis> {
  // Loaded only when Redis is configured: a single node never needs the client.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Errors surface through commands; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (e) {
    redis.disconnect();
    throw new Error(`Redis at ${redactUrl(url)} does not answer: ${(e as Error).message}`, { cause: e });
  }
}

/** A URL without its password, fit for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
