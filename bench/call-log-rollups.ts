/**
 * What the report roll-ups' triggers (migration 0023) cost the call log: N calls
 * written through CallLog as a node writes them (opened, then answered and closed in
 * later batches), on the embedded database, with the triggers and with them dropped,
 * alternately, twice each. Prints calls per second of wall time.
 *
 *   npx tsx bench/call-log-rollups.ts [calls]
 */
import { sql } from 'kysely';
import { openDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { Store } from '../src/store/store.js';

const N = Number(process.argv[2] ?? 3000);

async function run(triggers: boolean): Promise<number> {
  const handle = await openDatabase({ databaseUrl: null, dataDir: null });
  try {
    await migrateToLatest(handle.db);
    const store = new Store(handle.db);
    if (!triggers)
      for (const op of ['insert', 'update', 'delete'])
        await sql.raw(`drop trigger calls_rollup_${op} on calls`).execute(handle.db);
    const tenant = await store.tenants.create({
      name: 'bench',
      sipDomain: 'bench.test',
      timeZone: 'UTC',
      language: 'en',
      country: 'RU',
      maxExtensions: 10,
      maxConcurrentCalls: 5,
    });
    const t0 = performance.now();
    const writes: Promise<void>[] = [];
    const later: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      const at = new Date(Date.now() - i * 1000);
      const number = String(100 + (i % 50));
      const { id, written } = store.callLog.open(
        {
          tenantId: tenant.id,
          sipCallId: `c${i}`,
          caller: `+7916${String(i % 500).padStart(7, '0')}`,
          callerName: '',
          callee: number,
          direction: 'inbound',
          node: 'bench',
        },
        at,
      );
      writes.push(written);
      // The answer and the end come in later batches, as on a node.
      later.push(
        written.then(() =>
          Promise.all([
            store.callLog.answered(id, new Date(at.getTime() + 2000)),
            store.callLog.close(id, new Date(at.getTime() + 60_000), {
              cause: 'normal',
              sipStatus: 200,
              hangupBy: 'caller',
              legs: [
                {
                  number,
                  target: 'sip:bench',
                  startedAt: at.toISOString(),
                  answeredAt: null,
                  endedAt: null,
                  sipStatus: 200,
                },
              ],
              direction: 'inbound',
              trunk: 'carrier',
            }),
          ]).then(() => undefined),
        ),
      );
    }
    await Promise.all([...writes, ...later]);
    await store.callLog.drain();
    return (N / (performance.now() - t0)) * 1000;
  } finally {
    await handle.close();
  }
}

for (const triggers of [true, false, true, false])
  console.log(
    `${triggers ? 'with' : 'without'} the roll-up triggers: ${(await run(triggers)).toFixed(0)} calls/s`,
  );
