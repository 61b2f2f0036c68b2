/**
 * Message-waiting lamps of group mailboxes: a message in a group mailbox lights
 * the lamp of every member extension (added to their own mailbox's counts), and
 * a change to it tells each member's lamp.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/pbx/directory.js';
import { VoicemailService } from '../../src/pbx/voicemail/service.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { openTestDb, type TestDb } from '../helpers/db.js';

describe('group mailbox lamps', () => {
  let db: TestDb;
  let tenantId = '';
  const lamps: string[] = [];
  let vm: VoicemailService;

  beforeAll(async () => {
    db = await openTestDb('pglite');
    const t = await db.store.tenants.create({
      name: 'Lamps',
      sipDomain: 'lamps.example.test',
      timeZone: 'UTC',
      language: 'en',
      country: 'RU',
      maxExtensions: 10,
      maxConcurrentCalls: 10,
    });
    tenantId = t.id;
    for (const number of ['101', '102', '103'])
      await db.store.tenant(t.id).extensions.create({
        number,
        displayName: `Ext ${number}`,
        userId: null,
        sipSecret: `s-${number}-secret`,
        voicemailEnabled: true,
        voicemailPin: null,
        callClass: 'internal',
        dnd: false,
        ringTimeoutSec: 20,
        forwarding: NO_FORWARDING,
      });
    const directory = new Directory(db.store);
    await directory.loadAll();
    vm = new VoicemailService(
      db.store,
      directory,
      pino({ level: 'silent' }),
      { dir: mkdtempSync(join(tmpdir(), 'nimbus-vm-lamps-')) },
      { lamp: (t2, n) => lamps.push(`${t2 === tenantId ? '' : 'other:'}${n}`), stored: () => {} },
    );
  });
  afterAll(async () => db?.close());

  it("lights every member's lamp, adding the group's messages to their own", async () => {
    const repo = db.store.tenant(tenantId).voicemail;
    const sales = await repo.createGroup('800', { name: 'Sales', members: ['101', '102'] });
    const own = (await repo.ensureForExtension(
      (await db.store.tenant(tenantId).extensions.getByNumber('101'))!.id,
    ))!;
    const message = (boxId: string) =>
      repo.insertMessage({
        id: randomUUID(),
        boxId,
        caller: '555',
        callerName: '',
        durationMs: 1000,
        sizeBytes: 8044,
        receivedAt: new Date(),
      });
    await message(sales.id);
    await message(own.id);
    vm.changed(tenantId, sales);
    expect(lamps.sort()).toEqual(['101', '102']);
    expect(await vm.summary(tenantId, '101')).toMatchObject({ fresh: 2, old: 0 }); // its own and the group's
    expect(await vm.summary(tenantId, '102')).toMatchObject({ fresh: 1, old: 0 });
    expect(await vm.summary(tenantId, '103')).toMatchObject({ fresh: 0, old: 0 }); // not a member
  });
});
