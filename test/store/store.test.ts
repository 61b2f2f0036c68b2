/** The store on PGlite and (when DATABASE_URL is set) PostgreSQL: scoping, typed errors, transactions, restarts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/connect.js';
import { ConflictError, LimitError, translateDbError, UnavailableError } from '../../src/store/errors.js';
import { migrateToLatest, pendingMigrations } from '../../src/store/migrator.js';
import { type ExtensionInput, NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { Store } from '../../src/store/store.js';
import { backends, openTestDb, type TestDb, uniqueSchema } from '../helpers/db.js';

const ext = (number: string, more: Partial<ExtensionInput> = {}): ExtensionInput => ({
  number,
  displayName: `Ext ${number}`,
  userId: null,
  sipSecret: `s-${number}-secret`,
  voicemailEnabled: true,
  voicemailPin: null,
  callClass: 'national',
  dnd: false,
  ringTimeoutSec: 25,
  forwarding: NO_FORWARDING,
  ...more,
});

const tenantInput = (domain: string, maxExtensions = 10) => ({
  name: domain,
  sipDomain: domain,
  timeZone: 'Europe/Moscow',
  language: 'ru' as const,
  country: 'RU',
  maxExtensions,
  maxConcurrentCalls: 5,
});

describe.each(backends())('store on %s', (backend) => {
  let t: TestDb;
  let store: Store;
  beforeAll(async () => {
    t = await openTestDb(backend);
    store = t.store;
  });
  afterAll(async () => t?.close());

  it('has applied every migration', async () => {
    expect(await pendingMigrations(store.db)).toEqual([]);
  });

  it('scopes every tenant repository to its tenant', async () => {
    const a = await store.tenants.create(tenantInput('scope-a.test'));
    const b = await store.tenants.create(tenantInput('scope-b.test'));
    const extB = await store.tenant(b.id).extensions.create(ext('201'));
    const userB = await store
      .tenant(b.id)
      .users.create({ email: 'u@scope-b.test', displayName: 'U', passwordHash: 'h', role: 'user' });
    const A = store.tenant(a.id);
    expect(await A.extensions.get(extB.id)).toBeUndefined();
    expect(await A.extensions.getByNumber('201')).toBeUndefined();
    expect(await A.extensions.update(extB.id, { dnd: true })).toBeUndefined();
    expect(await A.extensions.delete(extB.id)).toBe(false);
    expect(await A.users.get(userB.id)).toBeUndefined();
    expect(await A.users.update(userB.id, { displayName: 'hacked' })).toBeUndefined();
    expect(await A.users.delete(userB.id)).toBe(false);
    expect((await A.extensions.list({ limit: 50, offset: 0 })).total).toBe(0);
    expect((await store.tenant(b.id).extensions.get(extB.id))?.dnd).toBe(false);
    // Platform scope sees operators only.
    expect(
      (await store.platform.users.list({ limit: 50, offset: 0 })).items.every((u) => u.role === 'operator'),
    ).toBe(true);
  });

  it('refuses an owner from another tenant at the database level', async () => {
    const a = await store.tenants.create(tenantInput('owner-a.test'));
    const b = await store.tenants.create(tenantInput('owner-b.test'));
    const userB = await store
      .tenant(b.id)
      .users.create({ email: 'o@owner-b.test', displayName: '', passwordHash: 'h', role: 'user' });
    const err = await store
      .tenant(a.id)
      .extensions.create(ext('301', { userId: userB.id }))
      .catch((e: unknown) => e);
    expect(translateDbError(err)).toMatchObject({ field: 'userId' });
  });

  it('turns unique violations into ConflictError naming the field', async () => {
    const a = await store.tenants.create(tenantInput('dup.test'));
    await store.tenant(a.id).extensions.create(ext('100'));
    const err = translateDbError(
      await store
        .tenant(a.id)
        .extensions.create(ext('100'))
        .catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).field).toBe('number');
    const dupTenant = translateDbError(
      await store.tenants.create(tenantInput('DUP.test')).catch((e: unknown) => e),
    );
    expect((dupTenant as ConflictError).field).toBe('sipDomain');
  });

  it('enforces the extension limit, also under concurrent creates', async () => {
    const a = await store.tenants.create(tenantInput('limit.test', 3));
    const results = await Promise.allSettled(
      ['1', '2', '3', '4', '5'].map((n) =>
        store.transaction((tx) => tx.tenant(a.id).extensions.create(ext(`5${n}`))),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.every((r) => r.reason instanceof LimitError)).toBe(true);
    expect(await store.tenant(a.id).extensions.count()).toBe(3);
  });

  it('rolls back a change and its audit entry together', async () => {
    const a = await store.tenants.create(tenantInput('rollback.test'));
    const scope = store.tenant(a.id);
    await expect(
      store.transaction(async (tx) => {
        const e = await tx.tenant(a.id).extensions.create(ext('700'));
        await tx
          .tenant(a.id)
          .audit.record(
            { type: 'system', id: null, label: 't', ip: null },
            { action: 'x', resourceType: 'extension', resourceId: e.id },
          );
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await scope.extensions.getByNumber('700')).toBeUndefined();
    expect((await scope.audit.list({ limit: 10, offset: 0 })).total).toBe(0);
  });

  it('keeps JSON settings intact', async () => {
    const a = await store.tenants.create(tenantInput('json.test'));
    const forwarding = { ...NO_FORWARDING, noAnswer: { enabled: true, target: '+74951234567' } };
    const e = await store.tenant(a.id).extensions.create(ext('800', { forwarding }));
    expect((await store.tenant(a.id).extensions.get(e.id))?.forwarding).toEqual(forwarding);
  });

  it('deleting a tenant removes its data but keeps its audit trail', async () => {
    const a = await store.tenants.create(tenantInput('gone.test'));
    await store.tenant(a.id).extensions.create(ext('900'));
    await store
      .tenant(a.id)
      .audit.record(
        { type: 'system', id: null, label: 't', ip: null },
        { action: 'y', resourceType: 'extension', resourceId: null },
      );
    await store.tenants.delete(a.id);
    const rows = await store.db.selectFrom('extensions').select('id').where('tenantId', '=', a.id).execute();
    expect(rows).toHaveLength(0);
    expect((await store.platform.audit.listAll({ limit: 10, offset: 0, tenantId: a.id })).total).toBe(1);
  });
});

describe('restart keeps all data', () => {
  it('on PGlite in a data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-restart-'));
    try {
      const first = await openDatabase({ databaseUrl: null, dataDir: dir });
      await migrateToLatest(first.db);
      const s1 = new Store(first.db);
      const t = await s1.tenants.create(tenantInput('restart.test'));
      await s1.tenant(t.id).extensions.create(ext('101'));
      await first.close();

      const second = await openDatabase({ databaseUrl: null, dataDir: dir });
      expect((await migrateToLatest(second.db)).applied).toEqual([]);
      const s2 = new Store(second.db);
      expect((await s2.tenants.findByDomain('restart.test'))?.id).toBe(t.id);
      expect((await s2.tenant(t.id).extensions.getByNumber('101'))?.sipSecret).toBe('s-101-secret');
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.env.DATABASE_URL)('on PostgreSQL', async () => {
    const schema = uniqueSchema();
    const url = process.env.DATABASE_URL!;
    const first = await openDatabase({ databaseUrl: url, dataDir: null, schema });
    try {
      await migrateToLatest(first.db);
      const t = await new Store(first.db).tenants.create(tenantInput('restart-pg.test'));
      await first.close();
      const second = await openDatabase({ databaseUrl: url, dataDir: null, schema });
      expect((await migrateToLatest(second.db)).applied).toEqual([]);
      expect((await new Store(second.db).tenants.get(t.id))?.sipDomain).toBe('restart-pg.test');
      await sql`drop schema ${sql.id(schema)} cascade`.execute(second.db);
      await second.close();
    } catch (e) {
      await first.close().catch(() => {});
      throw e;
    }
  });

  it('reports an unreachable PostgreSQL as UnavailableError', async () => {
    const err = await openDatabase({
      databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
      dataDir: null,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/Cannot connect to PostgreSQL/);
  });
});

describe.each(backends())('call records on %s', (backend) => {
  it("closes the calls a crashed node left open as interrupted, and only that node's", async () => {
    const t = await openTestDb(backend);
    try {
      const tenant = await t.store.tenants.create(tenantInput('cdr.test'));
      const open = async (node: string) => {
        const row = t.store.callLog.open({
          tenantId: tenant.id,
          sipCallId: `c-${node}`,
          caller: '101',
          callerName: '',
          callee: '102',
          direction: 'internal',
          node,
        });
        await row.written;
        return row.id;
      };
      const mine = await open('node-a');
      const answered = await open('node-a');
      await t.store.callLog.answered(answered, new Date());
      const other = await open('node-b');
      expect(await t.store.callLog.closeInterrupted('node-a')).toBe(2);
      const calls = t.store.tenant(tenant.id).calls;
      expect(await calls.get(mine)).toMatchObject({
        status: 'interrupted',
        cause: 'interrupted',
        hangupBy: 'system',
      });
      expect((await calls.get(answered))?.endedAt).toBeInstanceOf(Date);
      expect((await calls.get(other))?.status).toBe('ringing');
    } finally {
      await t.close();
    }
  });

  it('writes a call opened, answered and ended in one batch or across batches alike', async () => {
    const t = await openTestDb(backend);
    try {
      const tenant = await t.store.tenants.create(tenantInput('cdr-batch.test'));
      const log = t.store.callLog;
      const start = (sipCallId: string) => ({
        tenantId: tenant.id,
        sipCallId,
        caller: '101',
        callerName: 'Ann',
        callee: '102',
        direction: 'internal' as const,
        node: 'node-a',
      });
      const t0 = new Date('2026-11-26T10:00:00Z');
      const t1 = new Date('2026-11-26T10:00:02Z');
      const t2 = new Date('2026-11-26T10:00:09Z');
      const end = {
        cause: 'normal',
        sipStatus: 200,
        hangupBy: 'caller' as const,
        legs: [{ number: '102', answered: true }] as never,
        trail: [{ kind: 'extension', id: 'x', number: '102' }] as never,
        quality: { caller: { mos: 4.2 }, callee: { mos: 3.9 } } as never,
      };
      // All three writes in one batch: the row is inserted in its final state.
      const whole = log.open(start('whole'), t0);
      const wholeWrites = [whole.written, log.answered(whole.id, t1), log.close(whole.id, t2, end)];
      // A ringing call and one answered in the same batch.
      const ringing = log.open(start('ringing'), t0);
      const answered = log.open(start('answered'), t0);
      void log.answered(answered.id, t1);
      await Promise.all([...wholeWrites, ringing.written]);
      // Across batches, alongside a new call in the same batch as the updates.
      const apart = log.open(start('apart'), t0);
      await apart.written;
      const later = log.open(start('later'), t1);
      await Promise.all([log.answered(apart.id, t1), later.written]);
      await Promise.all([log.close(apart.id, t2, end), log.close(ringing.id, t2, { ...end, legs: [] })]);
      await log.drain();

      const calls = t.store.tenant(tenant.id).calls;
      for (const id of [whole.id, apart.id])
        expect(await calls.get(id)).toMatchObject({
          status: 'ended',
          callerName: 'Ann',
          startedAt: t0,
          answeredAt: t1,
          endedAt: t2,
          cause: 'normal',
          sipStatus: 200,
          hangupBy: 'caller',
          legs: [{ number: '102', answered: true }],
          trail: [{ kind: 'extension', id: 'x', number: '102' }],
          quality: { caller: { mos: 4.2 }, callee: { mos: 3.9 } },
        });
      expect((await calls.get(apart.id))?.mos).toBeCloseTo(3.9);
      expect(await calls.get(ringing.id)).toMatchObject({ status: 'ended', answeredAt: null, legs: [] });
      expect(await calls.get(answered.id)).toMatchObject({
        status: 'answered',
        answeredAt: t1,
        endedAt: null,
      });
      expect(await calls.get(later.id)).toMatchObject({
        status: 'ringing',
        startedAt: t1,
        answeredAt: null,
        legs: [],
        trail: [],
        quality: null,
        mos: null,
      });
    } finally {
      await t.close();
    }
  });
});
