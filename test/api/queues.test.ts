/**
 * Queues through the API: settings saved as a routing object and refused with
 * the field named when they make no sense; members that are extensions cannot be
 * deleted away; agents log in, out and pause (a user only themselves, with an
 * audit entry); the live view for wallboards; statistics summed by interval from
 * stored rows. The queue engine runs for real over the tenant snapshot, with
 * phones "registered" by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueSource } from '../../src/api/context.js';
import { Directory } from '../../src/pbx/directory.js';
import type { Binding } from '../../src/pbx/location.js';
import { MemoryAgentSessions } from '../../src/pbx/queue/agents.js';
import { QueueEngine } from '../../src/pbx/queue/engine.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { QueueStatsLog } from '../../src/store/repositories/queues.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';
import { queueConfig, queueMember } from '../helpers/queues.js';

const PHONE: Binding = {
  contact: 'sip:phone@127.0.0.1:5070',
  expiresAt: Number.MAX_SAFE_INTEGER,
  callId: 'c',
  cseq: 1,
  source: { transport: 'UDP', host: '127.0.0.1', port: 5070 },
  path: [],
  userAgent: null,
  q: 1,
};

describe.each(backends())('queues API on %s', (backend) => {
  let fx: Fixture;
  let base = '';
  let directory: Directory;
  let engine: QueueEngine;
  const registered = new Set<string>(['101', '102']);
  let writes: Promise<void> = Promise.resolve();
  const as = () => ({ as: fx.A.admin });

  beforeAll(async () => {
    const source: QueueSource = {
      all: (t) => engine.all(t),
      liveOf: (t, q) => engine.liveOf(t, q),
      agent: (t, n) => engine.agent(t, n),
      change: (t, n, c) => engine.change(t, n, c),
    };
    fx = await createFixture(backend, { queues: source, onTenantChange: (t) => directory?.refresh(t) });
    base = `/api/v1/tenants/${fx.A.id}`;
    directory = new Directory(fx.store);
    await directory.loadAll();
    engine = new QueueEngine(
      {
        clock: new ManualClock(),
        now: () => new Date(),
        random: () => 0,
        tenant: (id) => directory.tenantById(id),
        bindingsOf: (_t, n) => (registered.has(n) ? [PHONE] : []),
        callsOf: () => 0,
        // In order, as the SIP service writes them (a later change must not be overtaken by an earlier one).
        persistAgent: (t, number, s) => {
          const row = { number, queues: [...s.queues], paused: s.paused, pauseReason: s.pauseReason };
          writes = writes.then(() => fx.store.tenant(t).queueAgents.save(row));
        },
        emit: () => {},
      },
      new MemoryAgentSessions(() => '2026-12-07'),
    );
  });
  afterAll(async () => fx?.close());

  const body = (over: object = {}) => ({
    name: 'Support',
    number: '700',
    ...queueConfig({
      members: [queueMember('101', { static: false }), queueMember('102', { skills: { en: 5 } })],
    }),
    ...over,
  });

  it('saves a queue and reads it back; bad settings are refused naming the field', async () => {
    const created = await fx.call('POST', `${base}/queues`, { ...as(), body: body() });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'Support', number: '700', strategy: 'linear' });
    const id = created.json.id as string;
    expect((await fx.call('GET', `${base}/queues/${id}`, as())).json.members).toHaveLength(2);

    const refused = async (over: object, field: string, status = 400) => {
      const res = await fx.call('POST', `${base}/queues`, {
        ...as(),
        body: body({ number: '701', ...over }),
      });
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      expect(res.json.field).toBe(field);
    };
    await refused({ members: [queueMember('999')] }, 'members.0.number');
    await refused({ members: [queueMember('101'), queueMember('101')] }, 'members.1.number');
    await refused({ entryPrompts: ['no-such-prompt'] }, 'entryPrompts.0');
    await refused({ periodicPrompts: ['please-hold'], periodicEverySec: 0 }, 'periodicEverySec');
    await refused(
      {
        keys: [
          { key: '0', action: 'leave', destination: { kind: 'hangup', cause: 'busy' } },
          { key: '0', action: 'leave', destination: { kind: 'hangup', cause: 'busy' } },
        ],
      },
      'keys.1.key',
    );
    await refused(
      {
        keys: [
          { key: '5', action: 'leave', destination: { kind: 'queue', id } },
          { key: '6', action: 'leave', destination: { kind: 'queue', id: fx.A.id } },
        ],
      },
      'keys.1.destination.id',
    );
    await refused(
      { predictive: { maxExpectedWaitSec: 60, maxCallersPerAgent: 0, destination: null } },
      'predictive.destination',
    );
    await refused({ keys: [{ key: '1', action: 'leave', destination: null }] }, 'keys.0.destination');
    await refused(
      { keys: [{ key: '1', action: 'callback', destination: { kind: 'hangup', cause: 'busy' } }] },
      'keys.0.destination',
    );
    await refused({ strategy: 'fastest' }, 'strategy');
    await refused({ number: '101' }, 'number', 409);
    await refused({ number: '700' }, 'number', 409);
    // A queue that times out into itself is a loop.
    const loop = await fx.call('PUT', `${base}/queues/${id}`, {
      ...as(),
      body: body({ timeoutDestination: { kind: 'queue', id } }),
    });
    expect(loop.status).toBe(400);
    expect(loop.json.detail).toContain('loop');
    // A member extension cannot be deleted while the queue names it.
    const del = await fx.call('DELETE', `${base}/extensions/${fx.A.otherExtensionId}`, as());
    expect(del.status).toBe(409);
    expect(del.json.detail).toContain('Support');
  });

  it('agents log in and out and pause; a user only themselves; supervisors anyone; all audited', async () => {
    const q = (await fx.call('GET', `${base}/queues`, as())).json.items[0];
    const agent = `${base}/queue-agents/101`;
    const me = await fx.call('GET', agent, { as: fx.A.user });
    expect(me.status).toBe(200);
    expect(me.json.queues).toEqual([
      expect.objectContaining({ id: q.id, static: false, loggedIn: false, state: 'loggedOut' }),
    ]);
    const inRes = await fx.call('PATCH', agent, { as: fx.A.user, body: { loggedIn: true } });
    expect(inRes.status).toBe(200);
    expect(inRes.json.queues[0]).toMatchObject({ loggedIn: true, state: 'available' });
    const paused = await fx.call('PATCH', agent, {
      as: fx.A.user,
      body: { paused: true, pauseReason: 'lunch' },
    });
    expect(paused.json).toMatchObject({ paused: true, pauseReason: 'lunch' });
    expect(paused.json.queues[0].state).toBe('paused');
    // Someone else's extension: refused for a user, fine for a supervisor.
    expect(
      (await fx.call('PATCH', `${base}/queue-agents/102`, { as: fx.A.user, body: { paused: true } })).status,
    ).toBe(403);
    const sup = await fx.call('PATCH', agent, {
      as: fx.A.supervisor,
      body: { paused: false, loggedIn: false },
    });
    expect(sup.json).toMatchObject({ paused: false });
    expect(sup.json.queues[0]).toMatchObject({ loggedIn: false, state: 'loggedOut' });
    // Bad input is named.
    const bad = await fx.call('PATCH', agent, {
      as: fx.A.supervisor,
      body: { queues: [fx.A.id], loggedIn: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('queues.0');
    const reasonAlone = await fx.call('PATCH', agent, { as: fx.A.supervisor, body: { pauseReason: 'x' } });
    expect(reasonAlone.json.field).toBe('pauseReason');
    expect((await fx.call('GET', `${base}/queue-agents/999`, as())).status).toBe(404);
    // Saved for a restart, and audited.
    await writes;
    const rows = await fx.store.tenant(fx.A.id).queueAgents.all();
    expect(rows.find((r) => r.number === '101')).toMatchObject({ queues: [], paused: false });
    const audit = await fx.call('GET', `${base}/audit-log?limit=50`, as());
    expect(
      audit.json.items.filter((a: { action: string }) => a.action === 'queueAgent.update').length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('shows queues live to supervisors, and to users only the queues they answer', async () => {
    const all = await fx.call('GET', `${base}/queues-live`, { as: fx.A.supervisor });
    expect(all.status).toBe(200);
    expect(all.json).toHaveLength(1);
    const q = all.json[0];
    expect(q.agents.map((a: { number: string; state: string }) => [a.number, a.state])).toEqual([
      ['101', 'loggedOut'],
      ['102', 'available'],
    ]);
    registered.delete('102');
    const one = await fx.call('GET', `${base}/queues/${q.id}/live`, { as: fx.A.supervisor });
    expect(one.json.agents[1].state).toBe('unregistered'); // derived: the phone went away
    registered.add('102');
    expect(one.json.today).toMatchObject({
      offered: 0,
      asaSec: null,
      serviceLevel: [
        { thresholdSec: 20, percent: null },
        { thresholdSec: 60, percent: null },
      ],
    });
    // The user owns 101, a member: they see the queue. Tenant B sees nothing of it.
    expect((await fx.call('GET', `${base}/queues-live`, { as: fx.A.user })).json).toHaveLength(1);
    expect((await fx.call('GET', `${base}/queues/${q.id}/live`, { as: fx.B.admin })).status).toBe(404);
    expect(
      (
        await fx.call('GET', `${base}/queue-stats?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z`, {
          as: fx.A.user,
        })
      ).status,
    ).toBe(403);
  });

  it('sums stored statistics by interval and in total, from every node and run', async () => {
    const q = (await fx.call('GET', `${base}/queues`, as())).json.items[0];
    const at = (h: number, m: number) => new Date(Date.UTC(2026, 11, 1, h, m));
    // Two process runs counted the same 09:00 interval; another run counted 09:15 and 10:00.
    await new QueueStatsLog(fx.store.db, 'node-a/1').save([
      {
        tenantId: fx.A.id,
        queueId: q.id,
        intervalStart: at(9, 0),
        agent: '',
        figures: {
          offered: 3,
          answered: 2,
          answerWaitSec: 30,
          answeredWithin: { '20': 1 },
          longestWaitSec: 25,
        },
      },
      {
        tenantId: fx.A.id,
        queueId: q.id,
        intervalStart: at(9, 0),
        agent: '102',
        figures: { answered: 2, talkSec: 100 },
      },
    ]);
    await new QueueStatsLog(fx.store.db, 'node-a/2').save([
      {
        tenantId: fx.A.id,
        queueId: q.id,
        intervalStart: at(9, 0),
        agent: '',
        figures: { offered: 1, abandoned: 1, longestWaitSec: 40 },
      },
      {
        tenantId: fx.A.id,
        queueId: q.id,
        intervalStart: at(9, 15),
        agent: '',
        figures: { offered: 2, answered: 2, answeredWithin: { '20': 2 } },
      },
      { tenantId: fx.A.id, queueId: q.id, intervalStart: at(10, 0), agent: '', figures: { offered: 1 } },
    ]);
    // Another tenant's rows never show.
    await new QueueStatsLog(fx.store.db, 'node-b/1').save([
      { tenantId: fx.B.id, queueId: q.id, intervalStart: at(9, 0), agent: '', figures: { offered: 100 } },
    ]);
    const res = await fx.call(
      'GET',
      `${base}/queue-stats?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&granularity=hour`,
      { as: fx.A.supervisor },
    );
    expect(res.status).toBe(200);
    expect(
      res.json.intervals.map((i: { start: string; queue: { offered: number } }) => [
        i.start,
        i.queue.offered,
      ]),
    ).toEqual([
      ['2026-12-01T09:00:00.000Z', 6],
      ['2026-12-01T10:00:00.000Z', 1],
    ]);
    expect(res.json.intervals[0].queue).toMatchObject({
      answered: 4,
      abandoned: 1,
      longestWaitSec: 40,
      answeredWithin: { '20': 3 },
    });
    expect(res.json.intervals[0].agents['102']).toMatchObject({ answered: 2, talkSec: 100 });
    expect(res.json.totals[0].queue).toMatchObject({ offered: 7, answered: 4 });
    const quarter = await fx.call(
      'GET',
      `${base}/queue-stats?from=2026-12-01T09:00:00Z&to=2026-12-01T09:30:00Z&granularity=15m`,
      { as: fx.A.supervisor },
    );
    expect(quarter.json.intervals).toHaveLength(2);
    const backwards = await fx.call(
      'GET',
      `${base}/queue-stats?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z`,
      { as: fx.A.supervisor },
    );
    expect(backwards.status).toBe(400);
    expect(backwards.json.field).toBe('to');
  });
});
