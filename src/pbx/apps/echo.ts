/**
 * Echo test (feature code *43): the caller hears their own voice back through the
 * relay, after a beep. Shows at once whether audio goes both ways through NAT and
 * how much delay there is.
 */
import type { AppSession } from '../app-call.js';

/** A forgotten call is ended after an hour. */
const LIMIT_MS = 3600_000;

export async function echoTest(call: AppSession): Promise<void> {
  await call.tone({ region: call.language === 'ru' ? 'ru' : 'eu', name: 'beep' });
  call.echo();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([call.hungUp, new Promise<void>((r) => (timer = setTimeout(r, LIMIT_MS)))]);
  clearTimeout(timer);
}
