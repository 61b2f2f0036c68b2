/**
 * The embedded database on its own thread: values, driver errors and a closed
 * database come back to the node as they would from PGlite in-process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDb, openEmbedded } from '../../src/store/embedded.js';
import { translateDbError, UnavailableError } from '../../src/store/errors.js';

describe('PGlite on its own thread', () => {
  let db: EmbeddedDb;
  beforeAll(async () => {
    db = await openEmbedded(null);
    await db.pg.query('create table t (id int primary key, at timestamptz, doc jsonb, raw bytea, big int8)');
  });
  afterAll(async () => db?.close());

  it('returns rows with their types and the affected row count', async () => {
    const at = new Date('2026-12-07T10:00:00.000Z');
    const ins = await db.pg.query('insert into t values ($1, $2, $3, $4, $5), (2, now(), null, null, null)', [
      1,
      at,
      JSON.stringify({ a: [1, 'два'] }),
      new Uint8Array([0, 255, 7]),
      '9007199254740993',
    ]);
    expect(ins.affectedRows).toBe(2);
    const { rows } = await db.pg.query<{ id: number; at: Date; doc: unknown; raw: Uint8Array; big: unknown }>(
      'select * from t where id = $1',
      [1],
    );
    expect(rows).toHaveLength(1);
    const r = rows[0]!;
    expect(r.at).toBeInstanceOf(Date);
    expect(r.at.toISOString()).toBe(at.toISOString());
    expect(r.doc).toEqual({ a: [1, 'два'] });
    expect([...r.raw]).toEqual([0, 255, 7]);
    expect(String(r.big)).toBe('9007199254740993');
  });

  it('answers queries sent together, each with its own result', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => db.pg.query<{ n: number }>('select $1::int * 2 as n', [i])),
    );
    expect(answers.map((a) => a.rows[0]!.n)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
  });

  it("gives the driver's error with its SQLSTATE code and constraint", async () => {
    const err = await db.pg.query('insert into t (id) values (1)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('23505');
    expect((err as { constraint?: string }).constraint).toBe('t_pkey');
    // The next query still works: an error does not end the thread.
    expect((await db.pg.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('refuses queries once closed, as an unavailable database', async () => {
    const other = await openEmbedded(null);
    const pending = other.pg.query('select pg_sleep(0.05)');
    await other.close();
    await expect(pending).resolves.toBeDefined(); // sent before close: answered
    const err = await other.pg.query('select 1').catch((e: unknown) => e);
    expect(translateDbError(err)).toBeInstanceOf(UnavailableError);
  });
});
