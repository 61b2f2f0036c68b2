/**
 * Webhooks end to end against an HTTP receiver started here: an admin adds an
 * endpoint (its secret shown), events it asked for arrive signed (the receiver
 * checks the HMAC), others and other tenants' do not; a 500 is retried until it
 * is taken; a receiver that never takes it is given up and the delivery can be
 * sent again from the log; a delivery pending when the sender stops is sent by
 * the next one (nothing lost across a restart); private addresses are refused
 * unless the operator allows them.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { urlProblem, WebhookOutbox } from '../../src/api/webhook-outbox.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { until } from '../helpers/test-ua.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('webhooks', () => {
  let fx: Fixture;
  let outbox: WebhookOutbox;
  let server: Server;
  let port = 0;
  const received: Received[] = [];
  /** What the receiver answers to the next requests (then 200). */
  const answers: number[] = [];
  const base = () => `/api/v1/tenants/${fx.A.id}/webhooks`;
  const url = () => `http://127.0.0.1:${port}/hook`;
  const admin = () => ({ as: fx.A.admin });

  function listen(at = 0): Promise<void> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    return new Promise((r) =>
      server.listen(at, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        r();
      }),
    );
  }
  const stop = () => new Promise<void>((r) => server.close(() => r()));

  const outboxFor = (f: Fixture['store'], maxAttempts = 4) =>
    new WebhookOutbox(f, pino({ level: 'silent' }), {
      allowPrivate: true,
      backoffMs: () => 30,
      maxAttempts,
      pollMs: 20,
    });

  const callStarted = (tenantId: string, id = 'c1'): PbxEvent => ({
    type: 'call.started',
    tenantId,
    call: {
      id,
      caller: '101',
      callerName: 'Anna',
      callee: '102',
      state: 'ringing',
      startedAt: new Date().toISOString(),
      answeredAt: null,
    },
  });

  async function addHook(events: string[] = ['call.started', 'call.ended']) {
    const res = await fx.call('POST', base(), {
      ...admin(),
      body: { url: url(), events, description: 'CRM' },
    });
    expect(res.status).toBe(201);
    await outbox.reload();
    return res.json as { id: string; secret: string };
  }
  const deliveries = async (id: string) =>
    (await fx.call('GET', `${base()}/${id}/deliveries`, admin())).json.items as {
      id: string;
      status: string;
      attempts: number;
      lastStatus: number | null;
      lastError: string | null;
      eventType: string;
    }[];

  beforeAll(async () => {
    await listen();
    fx = await createFixture('pglite', (store) => {
      outbox = outboxFor(store);
      return { webhooks: outbox };
    });
    await outbox.start();
  });
  afterAll(async () => {
    await outbox?.close();
    await stop();
    await fx?.close();
  });
  beforeEach(async () => {
    for (const w of (await fx.call('GET', base(), admin())).json.items as { id: string }[])
      await fx.call('DELETE', `${base()}/${w.id}`, admin());
    await outbox.reload();
    received.length = 0;
    answers.length = 0;
  });

  it('an admin adds an endpoint: its secret is shown; bad URLs and events name their field; users may not', async () => {
    const hook = await addHook();
    expect(hook.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect((await fx.call('GET', base(), { as: fx.A.user })).status).toBe(403);
    for (const [body, field] of [
      [{ url: 'ftp://example.com/x', events: ['call.started'] }, 'url'],
      [{ url: 'http://user:pw@example.com/x', events: ['call.started'] }, 'url'],
      [{ url: url(), events: ['call.exploded'] }, 'events.0'],
      [{ url: url(), events: [] }, 'events'],
    ] as const) {
      const bad = await fx.call('POST', base(), { ...admin(), body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(String(bad.json.field)).toContain(field);
    }
    // Another tenant's admin does not see it.
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.B.id}/webhooks`, { as: fx.B.admin })).json.items,
    ).toEqual([]);
    const rotated = await fx.call('POST', `${base()}/${hook.id}/rotate-secret`, admin());
    expect(rotated.json.secret).not.toBe(hook.secret);
    const audit = await fx.store.tenant(fx.A.id).audit.list({ limit: 5, offset: 0, resourceId: hook.id });
    expect(JSON.stringify(audit.items)).not.toContain(hook.secret);
  });

  it('delivers the events asked for, signed; not other events, nor other tenants’', async () => {
    const hook = await addHook();
    outbox.enqueue(callStarted(fx.A.id));
    outbox.enqueue({
      type: 'registration',
      tenantId: fx.A.id,
      registration: { extension: '101', devices: [] },
    });
    outbox.enqueue(callStarted(fx.B.id));
    await until(() => received.length === 1, 5000);
    await outbox.idle();
    expect(received).toHaveLength(1);
    const got = received[0]!;
    const ts = Number(got.headers['x-nimbus-timestamp']);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(10);
    const expected = createHmac('sha256', hook.secret).update(`${ts}.${got.body}`).digest('hex');
    expect(got.headers['x-nimbus-signature']).toBe(`v1=${expected}`);
    expect(got.headers['x-nimbus-event']).toBe('call.started');
    expect(got.headers['content-type']).toBe('application/json');
    const envelope = JSON.parse(got.body);
    expect(envelope).toMatchObject({ type: 'call.started', tenantId: fx.A.id, data: { call: { id: 'c1' } } });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    const log = await deliveries(hook.id);
    expect(log).toMatchObject([
      { status: 'delivered', attempts: 1, lastStatus: 200, eventType: 'call.started' },
    ]);
    expect(got.headers['x-nimbus-delivery']).toBe(log[0]!.id);
  });

  it('a receiver answering 500 gets the delivery again until it takes it', async () => {
    const hook = await addHook();
    answers.push(500, 502);
    outbox.enqueue(callStarted(fx.A.id));
    await until(() => received.length === 3, 5000);
    await until(async () => false, 50).catch(() => {});
    await outbox.idle();
    expect(new Set(received.map((r) => JSON.parse(r.body).id)).size).toBe(1);
    expect(await deliveries(hook.id)).toMatchObject([{ status: 'delivered', attempts: 3, lastStatus: 200 }]);
  });

  it('one never taken is given up after its tries; sent again from the log, it carries the same event', async () => {
    const hook = await addHook();
    answers.push(503, 503, 503, 503);
    outbox.enqueue(callStarted(fx.A.id, 'c-failed'));
    await until(() => received.length === 4, 5000);
    await outbox.idle();
    const [failed] = await deliveries(hook.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 4, lastStatus: 503, lastError: 'HTTP 503' });
    const replay = await fx.call('POST', `${base()}/${hook.id}/deliveries/${failed!.id}/replay`, admin());
    expect(replay.status).toBe(202);
    await until(() => received.length === 5, 5000);
    expect(JSON.parse(received[4]!.body).id).toBe(JSON.parse(received[0]!.body).id);
    // A "ping" from the portal's test button.
    expect((await fx.call('POST', `${base()}/${hook.id}/test`, admin())).status).toBe(202);
    await until(() => received.length === 6, 5000);
    expect(received[5]!.headers['x-nimbus-event']).toBe('ping');
  });

  it('a disabled endpoint gets nothing', async () => {
    const hook = await addHook();
    await fx.call('PATCH', `${base()}/${hook.id}`, { ...admin(), body: { enabled: false } });
    outbox.enqueue(callStarted(fx.A.id));
    await outbox.idle();
    expect(received).toHaveLength(0);
    expect(await deliveries(hook.id)).toEqual([]);
  });

  it("a disabled endpoint's backlog holds nobody up; one deleted while its events were queued costs nobody theirs", async () => {
    const quiet = await addHook(['call.started']);
    const live = await addHook(['call.ended']);
    await fx.call('PATCH', `${base()}/${quiet.id}`, { ...admin(), body: { enabled: false } });
    // 30 deliveries of the disabled one wait at the head of the queue.
    await fx.store.webhookOutbox.add(
      Array.from({ length: 30 }, (_, i) => ({
        tenantId: fx.A.id,
        webhookId: quiet.id,
        eventType: 'call.started',
        payload: { n: i },
      })),
    );
    const gone = await addHook(['call.ended']);
    const started = callStarted(fx.A.id, 'c-end');
    if (started.type === 'call.started')
      outbox.enqueue({
        type: 'call.ended',
        tenantId: fx.A.id,
        call: started.call,
        cause: 'normal',
        endedAt: new Date().toISOString(),
      });
    // Deleted before the batch is written: its row is dropped, the live one's is kept.
    await fx.store.tenant(fx.A.id).webhooks.delete(gone.id);
    await until(() => received.length === 1, 5000);
    await outbox.idle();
    expect(received.map((r) => r.headers['x-nimbus-event'])).toEqual(['call.ended']);
    expect((await deliveries(live.id))[0]).toMatchObject({ status: 'delivered' });
    expect((await deliveries(quiet.id)).every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);
    // Retention forgets finished deliveries only: the pending backlog stays.
    expect(await fx.store.webhookOutbox.prune(new Date(Date.now() + 60_000))).toBe(1);
    expect(await deliveries(live.id)).toEqual([]);
    expect(await deliveries(quiet.id)).toHaveLength(30);
  });

  it('refuses loopback, private and link-local endpoints unless the operator allows them', async () => {
    expect(await urlProblem('http://127.0.0.1:8080/x', false)).toMatch(/private/);
    expect(await urlProblem('http://10.1.2.3/x', false)).toMatch(/private/);
    expect(await urlProblem('http://169.254.169.254/latest/meta-data', false)).toMatch(/private/);
    expect(await urlProblem('http://[::1]/x', false)).toMatch(/private/);
    expect(await urlProblem('http://[::ffff:127.0.0.1]/x', false)).toMatch(/private/);
    expect(await urlProblem('http://localhost/x', false)).toMatch(/private/);
    // IPv4 hidden in IPv6 (compatible, NAT64, 6to4), benchmarking and multicast space.
    for (const host of ['[::7f00:1]', '[64:ff9b::a00:1]', '[2002:7f00:1::]', '198.18.0.1', '224.0.0.1'])
      expect(await urlProblem(`http://${host}/x`, false), host).toMatch(/private/);
    expect(await urlProblem('https://93.184.216.34/x', false)).toBeNull();
    expect(await urlProblem('http://127.0.0.1:8080/x', true)).toBeNull();
  });
  it('a delivery pending when the sender stops is sent by the next one: nothing is lost across a restart', async () => {
    const hook = await addHook();
    await stop(); // the receiver is down
    outbox.enqueue(callStarted(fx.A.id, 'c-restart'));
    await outbox.idle();
    await outbox.close();
    const [pending] = await deliveries(hook.id);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending!.lastError).toBeTruthy();
    // The receiver is back and a new sender starts (the node restarted).
    await listen(port);
    outbox = outboxFor(fx.store);
    await outbox.start();
    await until(() => received.length === 1, 5000);
    expect(JSON.parse(received[0]!.body).data.call.id).toBe('c-restart');
    await outbox.idle();
    expect((await deliveries(hook.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});
