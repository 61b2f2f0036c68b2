/**
 * The call-control routes (originate, hang-up, transfer): who may do what to
 * which call, how bodies are checked, and how the SIP side's refusals read as
 * problems. The calls themselves are driven in test/pbx/call-control.test.ts;
 * here the SIP side records what it was asked.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ControlDestination, OriginateRequest } from '../../src/pbx/call-control.js';
import { createFixture, type Fixture } from '../helpers/api.js';

const LIVE = '11111111-1111-4111-8111-111111111111';
const OTHERS = '22222222-2222-4222-8222-222222222222';
const QUEUE = '33333333-3333-4333-8333-333333333333';

describe('call-control API', () => {
  let fx: Fixture;
  let own = '';
  let other = '';
  const originated: OriginateRequest[] = [];
  const hungUp: string[] = [];
  const transfers: {
    id: string;
    side: string;
    to: { number: string } | { destination: ControlDestination };
  }[] = [];
  const base = () => `/api/v1/tenants/${fx.A.id}/calls`;

  beforeAll(async () => {
    fx = await createFixture('pglite', {
      callControl: {
        clickToCall: () => ({ ok: true }),
        originate: async (r) => {
          originated.push(r);
          if (r.to === '999')
            return { ok: false, status: 403, code: 'call-class', reason: 'international calls not allowed' };
          if (r.destination.kind === 'ivr')
            return {
              ok: false,
              status: 404,
              code: 'no-destination',
              reason: 'No ivr with this id',
              field: 'destination.id',
            };
          if (r.to === '556')
            return { ok: false, status: 503, code: 'channel-limit', reason: 'No Trunk Available' };
          if (r.to === '555')
            return { ok: false, status: 503, code: 'unavailable', reason: 'Calls need the media engine' };
          return { ok: true, id: LIVE };
        },
        // LIVE has the user's own extension on it, OTHERS only colleagues'.
        numbersOn: (tenantId, id) =>
          tenantId !== fx.A.id
            ? null
            : id === LIVE
              ? ['+74951112233', own]
              : id === OTHERS
                ? [other, '103']
                : null,
        hangup: (tenantId, id) => {
          if (tenantId !== fx.A.id || (id !== LIVE && id !== OTHERS)) return false;
          hungUp.push(id);
          return true;
        },
        transfer: async (tenantId, id, side, to) => {
          if (tenantId !== fx.A.id || (id !== LIVE && id !== OTHERS))
            return { ok: false, status: 404, code: 'not-live', reason: 'No such call live on this node' };
          transfers.push({ id, side, to });
          if ('number' in to && to.number === '480')
            return {
              ok: false,
              status: 480,
              code: 'refused',
              reason: 'Temporarily Unavailable',
              field: 'destination',
            };
          return { ok: true };
        },
      },
    });
    own = (await fx.store.tenant(fx.A.id).extensions.get(fx.A.ownExtensionId))!.number;
    other = (await fx.store.tenant(fx.A.id).extensions.get(fx.A.otherExtensionId))!.number;
  });
  afterAll(async () => fx?.close());
  beforeEach(() => {
    originated.length = 0;
    hungUp.length = 0;
    transfers.length = 0;
  });

  it('originate: an admin sends a customer anywhere; the answer names the call', async () => {
    const res = await fx.call('POST', `${base()}/originate`, {
      as: fx.A.admin,
      body: {
        to: '+74951112233',
        destination: { kind: 'queue', id: QUEUE },
        callerId: '+74950000000',
        ringSec: 30,
      },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.json).toEqual({ id: LIVE, to: '+74951112233' });
    expect(originated).toEqual([
      {
        tenantId: fx.A.id,
        to: '+74951112233',
        destination: { kind: 'queue', id: QUEUE },
        callerId: '+74950000000',
        onBehalfOf: undefined,
        ringSec: 30,
      },
    ]);
    const byNumber = await fx.call('POST', `${base()}/originate`, {
      token: fx.A.apiKey.token,
      body: { to: '102', destination: { kind: 'number', number: '89161234567' } },
    });
    expect(byNumber.status, byNumber.text).toBe(202);
    expect(originated[1]?.destination).toEqual({ kind: 'number', number: '89161234567' });
  });

  it('originate: a user puts customers through to their own extension only, as their own call', async () => {
    const mine = await fx.call('POST', `${base()}/originate`, {
      as: fx.A.user,
      body: { to: '+74951112233', destination: { kind: 'extension', id: fx.A.ownExtensionId } },
    });
    expect(mine.status, mine.text).toBe(202);
    expect(originated[0]).toMatchObject({ onBehalfOf: fx.A.ownExtensionId });
    for (const destination of [
      { kind: 'extension', id: fx.A.otherExtensionId },
      { kind: 'queue', id: QUEUE },
      { kind: 'number', number: own },
    ]) {
      const res = await fx.call('POST', `${base()}/originate`, {
        as: fx.A.user,
        body: { to: '+74951112233', destination },
      });
      expect(res.status, JSON.stringify(destination)).toBe(403);
      expect(res.json).toMatchObject({ code: 'FORBIDDEN', field: 'destination' });
    }
    expect(originated).toHaveLength(1);
  });

  it('originate: bad bodies name the field; the SIP side’s refusals read as problems', async () => {
    const post = (body: unknown) => fx.call('POST', `${base()}/originate`, { as: fx.A.admin, body });
    const cases: [unknown, number, string, string][] = [
      [{ to: '+74951112233', destination: { kind: 'queue' } }, 400, 'VALIDATION_FAILED', 'destination.id'],
      [
        { to: '+74951112233', destination: { kind: 'number', id: QUEUE } },
        400,
        'VALIDATION_FAILED',
        'destination.number',
      ],
      [{ to: '+74951112233', destination: { kind: 'hangup' } }, 400, 'VALIDATION_FAILED', 'destination.kind'],
      [{ to: 'sales', destination: { kind: 'queue', id: QUEUE } }, 400, 'VALIDATION_FAILED', 'to'],
      [
        { to: '102', destination: { kind: 'queue', id: QUEUE }, callerId: '12' },
        400,
        'VALIDATION_FAILED',
        'callerId',
      ],
      [
        { to: '102', destination: { kind: 'queue', id: QUEUE }, ringSec: 1 },
        400,
        'VALIDATION_FAILED',
        'ringSec',
      ],
      [{ to: '999', destination: { kind: 'queue', id: QUEUE } }, 403, 'FORBIDDEN', 'to'],
      [{ to: '102', destination: { kind: 'ivr', id: QUEUE } }, 404, 'NOT_FOUND', 'destination.id'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await post(body);
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(status);
      expect(res.json).toMatchObject({ code, field });
    }
    const down = await post({ to: '555', destination: { kind: 'queue', id: QUEUE } });
    expect(down).toMatchObject({ status: 503, json: { code: 'CALLS_UNAVAILABLE' } });
    const full = await post({ to: '556', destination: { kind: 'queue', id: QUEUE } });
    expect(full).toMatchObject({ status: 409, json: { code: 'LIMIT_REACHED', field: 'to' } });
  });

  it('hang-up: an admin ends any live call; a user only one their extension is on; a call not live is 404', async () => {
    expect((await fx.call('POST', `${base()}/${OTHERS}/hangup`, { as: fx.A.admin })).status).toBe(202);
    expect((await fx.call('POST', `${base()}/${LIVE}/hangup`, { as: fx.A.user })).status).toBe(202);
    const notMine = await fx.call('POST', `${base()}/${OTHERS}/hangup`, { as: fx.A.user });
    expect(notMine).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    const gone = await fx.call('POST', `${base()}/${QUEUE}/hangup`, { as: fx.A.admin });
    expect(gone).toMatchObject({ status: 404, json: { code: 'CALL_NOT_LIVE' } });
    // To a user, another's ended call and an unknown one read the same.
    expect(await fx.call('POST', `${base()}/${QUEUE}/hangup`, { as: fx.A.user })).toMatchObject({
      status: 404,
      json: { code: 'CALL_NOT_LIVE' },
    });
    expect(hungUp).toEqual([OTHERS, LIVE]);
  });

  it('transfer: a number or a destination; refusals and ownership as for hang-up', async () => {
    const url = (id: string) => `${base()}/${id}/transfer`;
    const byNumber = await fx.call('POST', url(LIVE), {
      as: fx.A.admin,
      body: { side: 'caller', destination: '102' },
    });
    expect(byNumber.status, byNumber.text).toBe(202);
    expect(byNumber.json).toEqual({ id: LIVE, side: 'caller' });
    const toQueue = await fx.call('POST', url(LIVE), {
      as: fx.A.user,
      body: { side: 'callee', destination: { kind: 'queue', id: QUEUE } },
    });
    expect(toQueue.status, toQueue.text).toBe(202);
    expect(transfers).toEqual([
      { id: LIVE, side: 'caller', to: { number: '102' } },
      { id: LIVE, side: 'callee', to: { destination: { kind: 'queue', id: QUEUE } } },
    ]);
    const unavailable = await fx.call('POST', url(LIVE), {
      as: fx.A.admin,
      body: { side: 'caller', destination: '480' },
    });
    expect(unavailable).toMatchObject({ status: 409, json: { code: 'CONFLICT', field: 'destination' } });
    const notMine = await fx.call('POST', url(OTHERS), {
      as: fx.A.user,
      body: { side: 'caller', destination: '102' },
    });
    expect(notMine.status).toBe(403);
    const gone = await fx.call('POST', url(QUEUE), {
      as: fx.A.admin,
      body: { side: 'caller', destination: '102' },
    });
    expect(gone).toMatchObject({ status: 404, json: { code: 'CALL_NOT_LIVE' } });
    const badSide = await fx.call('POST', url(LIVE), {
      as: fx.A.admin,
      body: { side: 'both', destination: '102' },
    });
    expect(badSide).toMatchObject({ status: 400, json: { field: 'side' } });
    const badKind = await fx.call('POST', url(LIVE), {
      as: fx.A.admin,
      body: { side: 'caller', destination: { kind: 'queue' } },
    });
    expect(badKind).toMatchObject({ status: 400, json: { field: 'destination.id' } });
    expect(transfers).toHaveLength(3);
  });
});
