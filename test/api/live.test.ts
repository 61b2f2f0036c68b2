/**
 * The live views of the API: calls in progress and registered devices
 * (GET /live), today's calls by hour in the tenant's time zone
 * (GET /stats/today), and the events WebSocket with its sign-in, origin check
 * and per-tenant / per-user filtering. Events come from a real PbxEvents and
 * LiveState, as the SIP service feeds them.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventsSocket } from '../../src/api/events-socket.js';
import { localMidnight } from '../../src/api/routes/live.js';
import { type LiveCall, LiveState, type PbxEvent, PbxEvents } from '../../src/pbx/events.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { until } from '../helpers/test-ua.js';

const NOW = new Date('2026-11-26T09:30:00Z'); // 12:30 in Moscow (UTC+3), the fixture tenants' zone

function call(id: string, caller: string, callee: string): LiveCall {
  return {
    id,
    caller,
    callerName: '',
    callee,
    state: 'ringing',
    startedAt: NOW.toISOString(),
    answeredAt: null,
  };
}

describe('live calls, registrations, today and the events socket', () => {
  const events = new PbxEvents();
  const live = new LiveState(events);
  let fx: Fixture;
  let socket: EventsSocket;
  let port: number;

  beforeAll(async () => {
    fx = await createFixture('pglite', {
      live: { snapshot: (t) => live.snapshot(t), subscribe: (l) => events.on(l) },
      now: () => NOW,
    });
    await fx.api.app.listen({ host: '127.0.0.1', port: 0 });
    port = (fx.api.app.server.address() as AddressInfo).port;
    // The socket reads sessions at the same (fixed) time the API made them, or they would have expired.
    socket = new EventsSocket(
      fx.store,
      { snapshot: (t) => live.snapshot(t), subscribe: (l) => events.on(l) },
      () => NOW,
    );
    socket.attach(fx.api.app.server);
  });
  afterAll(async () => {
    socket?.close();
    await fx?.close();
  });

  it('shows calls in progress and registered devices of the tenant; a user only their own', async () => {
    events.emit({ type: 'call.started', tenantId: fx.A.id, call: call('c1', '101', '102') });
    events.emit({ type: 'call.started', tenantId: fx.A.id, call: call('c2', '102', '103') });
    events.emit({ type: 'call.started', tenantId: fx.B.id, call: call('c3', '101', '102') });
    const device = {
      contact: 'sip:101@10.0.0.5',
      userAgent: 'Yealink',
      transport: 'UDP',
      address: '10.0.0.5:5060',
      expiresAt: NOW.toISOString(),
    };
    events.emit({
      type: 'registration',
      tenantId: fx.A.id,
      registration: { extension: '101', devices: [device] },
    });
    events.emit({
      type: 'registration',
      tenantId: fx.A.id,
      registration: { extension: '102', devices: [device] },
    });
    const url = `/api/v1/tenants/${fx.A.id}/live`;
    const admin = await fx.call('GET', url, { as: fx.A.admin });
    expect(admin.json.calls.map((c: LiveCall) => c.id)).toEqual(['c1', 'c2']);
    expect(admin.json.registrations.map((r: { extension: string }) => r.extension)).toEqual(['101', '102']);
    const user = await fx.call('GET', url, { as: fx.A.user }); // owns 101
    expect(user.json.calls.map((c: LiveCall) => c.id)).toEqual(['c1']);
    expect(user.json.registrations.map((r: { extension: string }) => r.extension)).toEqual(['101']);
    events.emit({
      type: 'call.ended',
      tenantId: fx.A.id,
      call: call('c1', '101', '102'),
      cause: 'bye',
      endedAt: NOW.toISOString(),
    });
    events.emit({ type: 'registration', tenantId: fx.A.id, registration: { extension: '102', devices: [] } });
    const after = await fx.call('GET', url, { as: fx.A.supervisor });
    expect(after.json.calls.map((c: LiveCall) => c.id)).toEqual(['c2']);
    expect(after.json.registrations.map((r: { extension: string }) => r.extension)).toEqual(['101']);
  });

  it("counts today's calls by local hour, answered and missed, with the average talk time", async () => {
    const log = fx.store.callLog;
    const at = (iso: string) => new Date(iso);
    const place = async (
      startedIso: string,
      answered: boolean,
      talkSec: number,
      caller = '104',
      callee = '105',
    ) => {
      const row = log.open(
        {
          tenantId: fx.A.id,
          sipCallId: `${startedIso}@t`,
          caller,
          callerName: '',
          callee,
          direction: 'internal',
          node: 't',
        },
        at(startedIso),
      );
      await row.written;
      const start = at(startedIso).getTime();
      if (answered) await log.answered(row.id, new Date(start + 5000));
      await log.close(row.id, new Date(start + 5000 + talkSec * 1000), {
        cause: 'bye',
        sipStatus: 200,
        hangupBy: 'caller',
        legs: [],
      });
    };
    await place('2026-11-25T20:59:00Z', true, 60); // 23:59 yesterday in Moscow: not today
    await place('2026-11-25T21:10:00Z', true, 30); // 00:10 today
    await place('2026-11-26T06:05:00Z', true, 90); // 09:05
    await place('2026-11-26T06:40:00Z', false, 0); // 09:40, not answered
    await place('2026-11-26T06:50:00Z', true, 10, '101', '103'); // 09:50, the user's own
    const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/stats/today`, { as: fx.A.admin });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      timeZone: 'Europe/Moscow',
      from: '2026-11-25T21:00:00.000Z',
      total: 4,
      answered: 3,
      missed: 1,
    });
    expect(res.json.averageTalkSeconds).toBe(43); // (30 + 90 + 10) / 3
    expect(res.json.hours[0]).toEqual({ hour: 0, answered: 1, missed: 0 });
    expect(res.json.hours[9]).toEqual({ hour: 9, answered: 2, missed: 1 });
    expect(res.json.hours).toHaveLength(24);
    const mine = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/stats/today`, { as: fx.A.user });
    expect(mine.json).toMatchObject({ total: 1, answered: 1 });
  });

  it('finds local midnight across zones', () => {
    expect(localMidnight(new Date('2026-11-26T09:30:00Z'), 'Europe/Moscow').toISOString()).toBe(
      '2026-11-25T21:00:00.000Z',
    );
    expect(localMidnight(new Date('2026-11-26T02:00:00Z'), 'America/New_York').toISOString()).toBe(
      '2026-11-25T05:00:00.000Z',
    );
    expect(localMidnight(new Date('2026-07-01T12:00:00Z'), 'UTC').toISOString()).toBe(
      '2026-07-01T00:00:00.000Z',
    );
  });

  function open(cookie: string | null, opts: { origin?: string; query?: string } = {}) {
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    if (opts.origin) headers.origin = opts.origin;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events${opts.query ?? ''}`, { headers });
    const got: Record<string, unknown>[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d))));
    const status = new Promise<number>((resolve) => {
      ws.on('open', () => resolve(101));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(0));
    });
    return { ws, got, status };
  }

  it("pushes the tenant's events to a signed-in admin, and a user only their own", async () => {
    const admin = open(fx.A.admin.cookie, { origin: `http://127.0.0.1:${port}` });
    const user = open(fx.A.user.cookie);
    const other = open(fx.B.admin.cookie);
    expect(await admin.status).toBe(101);
    expect(await user.status).toBe(101);
    expect(await other.status).toBe(101);
    await until(() => admin.got.length === 1 && user.got.length === 1 && other.got.length === 1);
    expect(admin.got[0]).toEqual({ type: 'hello', tenantId: fx.A.id });
    const sent: PbxEvent[] = [
      { type: 'call.started', tenantId: fx.A.id, call: call('c4', '101', '104') },
      { type: 'call.started', tenantId: fx.A.id, call: call('c5', '104', '105') },
    ];
    for (const e of sent) events.emit(e);
    await until(() => admin.got.length === 3 && user.got.length === 2);
    expect(admin.got.slice(1)).toEqual(sent);
    expect(user.got[1]).toEqual(sent[0]);
    await new Promise((r) => setTimeout(r, 100));
    expect(other.got).toHaveLength(1); // tenant B heard nothing of A
    for (const c of [admin, user, other]) c.ws.close();
  });

  it('refuses no sign-in, a foreign page, and an operator who names no tenant', async () => {
    expect(await open(null).status).toBe(401);
    expect(await open(fx.A.admin.cookie, { origin: 'https://evil.example' }).status).toBe(403);
    expect(await open(fx.operator.cookie).status).toBe(404);
    const op = open(fx.operator.cookie, { query: `?tenantId=${fx.B.id}` });
    expect(await op.status).toBe(101);
    await until(() => op.got.length === 1);
    expect(op.got[0]).toEqual({ type: 'hello', tenantId: fx.B.id });
    op.ws.close();
  });
});
