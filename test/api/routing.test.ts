/**
 * Routing configuration through the API: calendars, time conditions, ring groups
 * and inbound routes are created and read back; bad configuration is refused at
 * save with problem+json naming the field (unknown ids, loops, clashing numbers,
 * impossible schedules, numbers that are not numbers); what is in use cannot be
 * deleted; a calendar can be forced open or closed and take holidays from iCal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';

const hangup = { kind: 'hangup', cause: 'busy' } as const;

describe.each(backends())('routing API on %s', (backend) => {
  let fx: Fixture;
  let base = '';
  const as = () => ({ as: fx.A.admin });
  beforeAll(async () => {
    fx = await createFixture(backend);
    base = `/api/v1/tenants/${fx.A.id}`;
  });
  afterAll(async () => fx?.close());

  const weekdays = { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };
  const calendar = (over: object = {}) => ({
    name: 'Office hours',
    weekly: [weekdays],
    holidays: [{ name: 'New Year', yearly: '01-01' }],
    productionCalendar: 'ru',
    override: null,
    ...over,
  });
  const group = (over: object = {}) => ({
    name: 'Sales',
    number: '600',
    strategy: 'sequential',
    members: [
      { number: '101', delaySec: 0, timeoutSec: 15 },
      { number: '102', delaySec: 0, timeoutSec: 15 },
    ],
    ringTimeoutSec: 60,
    skipBusy: true,
    callerIdPrefix: 'Sales: ',
    timeoutDestination: null,
    ...over,
  });

  it('creates a calendar in the tenant time zone and tells whether it is open', async () => {
    const res = await fx.call('POST', `${base}/calendars`, { ...as(), body: calendar() });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      name: 'Office hours',
      timeZone: 'Europe/Moscow',
      productionCalendar: 'ru',
    });
    const state = await fx.call('GET', `${base}/calendars/${res.json.id}/state`, as());
    expect(state.status).toBe(200);
    expect(typeof state.json.open).toBe('boolean');
    expect(state.json.nextChange === null || !Number.isNaN(Date.parse(state.json.nextChange))).toBe(true);
  });

  it('refuses impossible schedules, naming the field', async () => {
    const backwards = await fx.call('POST', `${base}/calendars`, {
      ...as(),
      body: calendar({ weekly: [{ days: [1], from: '18:00', to: '09:00' }] }),
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json.field).toMatch(/^weekly\.0\./);
    const zone = await fx.call('POST', `${base}/calendars`, {
      ...as(),
      body: calendar({ timeZone: 'Mars/Olympus' }),
    });
    expect(zone.json).toMatchObject({ status: 400, field: 'timeZone' });
    const date = await fx.call('POST', `${base}/calendars`, {
      ...as(),
      body: calendar({ holidays: [{ name: 'x', date: '2026-02-30' }] }),
    });
    expect(date.json).toMatchObject({ status: 400, field: 'holidays.0.date' });
  });

  it('forces a calendar open and back, and imports holidays from iCal', async () => {
    const cal = await fx.call('POST', `${base}/calendars`, { ...as(), body: calendar({ weekly: [] }) });
    const id = cal.json.id;
    const closed = await fx.call('GET', `${base}/calendars/${id}/state`, as());
    expect(closed.json.open).toBe(false);
    const forced = await fx.call('PUT', `${base}/calendars/${id}/override`, {
      as: fx.A.supervisor,
      body: { state: 'open', until: null },
    });
    expect(forced.json).toMatchObject({ open: true, reason: 'override' });
    const back = await fx.call('PUT', `${base}/calendars/${id}/override`, { ...as(), body: { state: null } });
    expect(back.json.open).toBe(false);
    const past = await fx.call('PUT', `${base}/calendars/${id}/override`, {
      ...as(),
      body: { state: 'open', until: '2000-01-01T00:00:00Z' },
    });
    expect(past.json).toMatchObject({ status: 400, field: 'until' });

    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VEVENT',
      'SUMMARY:Company day\\, office closed',
      'DTSTART;VALUE=DATE:20261211',
      'DTEND;VALUE=DATE:20261212',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const imported = await fx.call('POST', `${base}/calendars/${id}/holidays/import`, {
      ...as(),
      body: { ics },
    });
    expect(imported.status).toBe(200);
    expect(imported.json.imported).toBe(1);
    expect(imported.json.calendar.holidays).toContainEqual(
      expect.objectContaining({ name: 'Company day, office closed', date: '2026-12-11' }),
    );
    const garbage = await fx.call('POST', `${base}/calendars/${id}/holidays/import`, {
      ...as(),
      body: { ics: 'not a calendar' },
    });
    expect(garbage.json).toMatchObject({ status: 400, field: 'ics' });
  });

  it('creates a ring group and refuses numbers that clash or members that do not exist', async () => {
    const g = await fx.call('POST', `${base}/ring-groups`, { ...as(), body: group() });
    expect(g.status).toBe(201);
    expect(g.json).toMatchObject({
      number: '600',
      strategy: 'sequential',
      members: [{ number: '101' }, { number: '102' }],
    });
    const clashExt = await fx.call('POST', `${base}/ring-groups`, {
      ...as(),
      body: group({ number: '101' }),
    });
    expect(clashExt.json).toMatchObject({ status: 409, field: 'number' });
    const clashGroup = await fx.call('POST', `${base}/ring-groups`, {
      ...as(),
      body: group({ name: 'Other' }),
    });
    expect(clashGroup.json).toMatchObject({ status: 409, field: 'number' });
    const extOnGroupNumber = await fx.call('POST', `${base}/extensions`, {
      ...as(),
      body: { number: '600' },
    });
    expect(extOnGroupNumber.json).toMatchObject({ status: 409, field: 'number' });
    const ghost = await fx.call('POST', `${base}/ring-groups`, {
      ...as(),
      body: group({ number: null, members: [{ number: '999', delaySec: 0, timeoutSec: 10 }] }),
    });
    expect(ghost.json).toMatchObject({ status: 400, field: 'members.0.number' });
    const twice = await fx.call('POST', `${base}/ring-groups`, {
      ...as(),
      body: group({
        number: null,
        members: [
          { number: '101', delaySec: 0, timeoutSec: 10 },
          { number: '101', delaySec: 0, timeoutSec: 10 },
        ],
      }),
    });
    expect(twice.json).toMatchObject({ status: 400, field: 'members.1.number' });
    const strategy = await fx.call('POST', `${base}/ring-groups`, {
      ...as(),
      body: group({ number: null, strategy: 'loudest' }),
    });
    expect(strategy.json).toMatchObject({ status: 400, field: 'strategy' });
  });

  it('refuses destinations that point nowhere, with the field', async () => {
    const cal = await fx.call('POST', `${base}/calendars`, { ...as(), body: calendar() });
    const unknownExt = await fx.call('POST', `${base}/time-conditions`, {
      ...as(),
      body: {
        name: 'Day/night',
        calendarId: cal.json.id,
        whenOpen: { kind: 'extension', id: '00000000-0000-4000-8000-000000000009' },
        whenClosed: hangup,
      },
    });
    expect(unknownExt.json).toMatchObject({ status: 400, field: 'whenOpen.id' });
    const otherTenant = await fx.call('POST', `${base}/time-conditions`, {
      ...as(),
      body: {
        name: 'x',
        calendarId: cal.json.id,
        whenOpen: { kind: 'extension', id: fx.B.ownExtensionId },
        whenClosed: hangup,
      },
    });
    expect(otherTenant.json).toMatchObject({ status: 400, field: 'whenOpen.id' });
    const noCalendar = await fx.call('POST', `${base}/time-conditions`, {
      ...as(),
      body: {
        name: 'x',
        calendarId: '00000000-0000-4000-8000-000000000009',
        whenOpen: hangup,
        whenClosed: hangup,
      },
    });
    expect(noCalendar.json).toMatchObject({ status: 400, field: 'calendarId' });
    const mixed = await fx.call('POST', `${base}/time-conditions`, {
      ...as(),
      body: {
        name: 'x',
        calendarId: cal.json.id,
        whenOpen: { kind: 'number', id: fx.A.ownExtensionId },
        whenClosed: hangup,
      },
    });
    expect(mixed.json.status).toBe(400);
    expect(mixed.json.field).toMatch(/^whenOpen\.(id|number)$/);
  });

  it('refuses loops: time conditions into each other, a group timing out into itself, extensions forwarding round', async () => {
    const cal = await fx.call('POST', `${base}/calendars`, { ...as(), body: calendar() });
    const one = await fx.call('POST', `${base}/time-conditions`, {
      ...as(),
      body: { name: 'One', calendarId: cal.json.id, whenOpen: hangup, whenClosed: hangup },
    });
    const two = await fx.call('POST', `${base}/time-conditions`, {
      ...as(),
      body: {
        name: 'Two',
        calendarId: cal.json.id,
        whenOpen: { kind: 'timeCondition', id: one.json.id },
        whenClosed: hangup,
      },
    });
    expect(two.status).toBe(201);
    const loop = await fx.call('PUT', `${base}/time-conditions/${one.json.id}`, {
      ...as(),
      body: {
        name: 'One',
        calendarId: cal.json.id,
        whenOpen: hangup,
        whenClosed: { kind: 'timeCondition', id: two.json.id },
      },
    });
    expect(loop.json).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(loop.json.detail).toContain('loop');

    const g = await fx.call('POST', `${base}/ring-groups`, {
      ...as(),
      body: group({ name: 'Support', number: '610' }),
    });
    const self = await fx.call('PUT', `${base}/ring-groups/${g.json.id}`, {
      ...as(),
      body: group({ name: 'Support', number: '610', timeoutDestination: { kind: 'number', number: '610' } }),
    });
    expect(self.json).toMatchObject({ status: 400, field: 'timeoutDestination' });

    const ext = `${base}/extensions`;
    const to102 = await fx.call('PATCH', `${ext}/${fx.A.ownExtensionId}`, {
      ...as(),
      body: { forwarding: { always: { enabled: true, target: '102' } } },
    });
    expect(to102.status).toBe(200);
    const back = await fx.call('PATCH', `${ext}/${fx.A.otherExtensionId}`, {
      ...as(),
      body: { forwarding: { always: { enabled: true, target: '101' } } },
    });
    expect(back.json).toMatchObject({ status: 400, field: 'forwarding.always.target' });
    await fx.call('PATCH', `${ext}/${fx.A.ownExtensionId}`, {
      ...as(),
      body: { forwarding: { always: { enabled: false, target: '' } } },
    });
  });

  it('stores DIDs as E.164 by the tenant country and keeps them unique', async () => {
    const g = await fx.call('POST', `${base}/ring-groups`, {
      ...as(),
      body: group({ name: 'Front', number: '620' }),
    });
    const body = {
      name: 'Main number',
      number: '8 (495) 123-45-67'.replace(/[^0-9]/g, ''),
      callerRules: [
        {
          name: 'VIP',
          match: { numbers: ['89161234567', '+7903*'] },
          destination: { kind: 'extension', id: fx.A.ownExtensionId },
        },
        { name: 'Anonymous', match: { anonymous: true }, destination: hangup },
      ],
      destination: { kind: 'ringGroup', id: g.json.id },
    };
    const r = await fx.call('POST', `${base}/inbound-routes`, { ...as(), body });
    expect(r.status).toBe(201);
    expect(r.json.number).toBe('+74951234567');
    expect(r.json.callerRules[0].match.numbers).toEqual(['+79161234567', '+7903*']);
    const again = await fx.call('POST', `${base}/inbound-routes`, {
      ...as(),
      body: { ...body, number: '+74951234567' },
    });
    expect(again.json).toMatchObject({ status: 409, field: 'number' });
    const junk = await fx.call('POST', `${base}/inbound-routes`, {
      ...as(),
      body: { ...body, number: '123' },
    });
    expect(junk.json).toMatchObject({ status: 400, field: 'number' });
    const both = await fx.call('POST', `${base}/inbound-routes`, {
      ...as(),
      body: { ...body, number: '+74951230000', callerRules: [{ name: 'x', match: {}, destination: hangup }] },
    });
    expect(both.json).toMatchObject({ status: 400, field: 'callerRules.0.match' });

    // In use: neither the group nor its member extension can go.
    const delGroup = await fx.call('DELETE', `${base}/ring-groups/${g.json.id}`, as());
    expect(delGroup.json).toMatchObject({ status: 409 });
    expect(delGroup.json.detail).toContain('Main number');
    const delExt = await fx.call('DELETE', `${base}/extensions/${fx.A.ownExtensionId}`, as());
    expect(delExt.json.status).toBe(409);
    expect((await fx.call('DELETE', `${base}/inbound-routes/${r.json.id}`, as())).status).toBe(204);
  });

  it('changes feature codes and refuses clashes, naming the feature', async () => {
    const t = `/api/v1/tenants/${fx.A.id}`;
    const before = await fx.call('GET', t, as());
    expect(before.json.featureCodes).toMatchObject({ dndOn: '*78', pickup: '*8', directedPickup: '**' });
    const own = await fx.call('PATCH', t, {
      ...as(),
      body: { featureCodes: { dndOn: '*10', dndOff: '*11' } },
    });
    expect(own.status).toBe(200);
    expect(own.json.featureCodes).toMatchObject({ dndOn: '*10', dndOff: '*11', forwardOn: '*72' });
    const same = await fx.call('PATCH', t, { ...as(), body: { featureCodes: { echoTest: '*10' } } });
    // Both sides of the clash are named: the code changed and the one it collides with.
    expect(same.json).toMatchObject({
      status: 400,
      field: 'featureCodes.echoTest',
      relatedField: 'featureCodes.dndOn',
    });
    const swallowed = await fx.call('PATCH', t, { ...as(), body: { featureCodes: { conference: '*7212' } } });
    expect(swallowed.json).toMatchObject({ status: 400, field: 'featureCodes.conference' });
    const shape = await fx.call('PATCH', t, { ...as(), body: { featureCodes: { dndOn: '78' } } });
    expect(shape.json.status).toBe(400);
    const list = await fx.call('GET', `${t}/feature-codes`, { as: fx.A.user });
    expect(list.json).toContainEqual({
      feature: 'dndOn',
      code: '*10',
      defaultCode: '*78',
      changed: true,
      arg: 'none',
      label: 'Do not disturb on',
    });
    expect(list.json.find((c: { feature: string }) => c.feature === 'forwardOn')).toMatchObject({
      arg: 'required',
    });
    const back = await fx.call('PATCH', t, {
      ...as(),
      body: { featureCodes: { dndOn: null, dndOff: '*79' } },
    });
    expect(back.json.featureCodes).toMatchObject({ dndOn: '*78', dndOff: '*79' });
  });

  it('checks follow-me, status rules and the secretary at save; users set their own', async () => {
    const url = `${base}/extensions/${fx.A.ownExtensionId}`;
    const me = { as: fx.A.user };
    const ok = await fx.call('PATCH', url, {
      ...me,
      body: {
        status: 'trip',
        callWaiting: false,
        callRules: {
          followMe: { ringDesk: true, steps: [{ numbers: ['102'], ringSec: 15 }] },
          profiles: {
            trip: {
              internal: { action: 'followMe' },
              external: { action: 'forward', target: '+79161234567' },
            },
          },
          exceptions: ['+7916*'],
          secretary: null,
        },
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      status: 'trip',
      callWaiting: false,
      callRules: { exceptions: ['+7916*'] },
    });
    const ghost = await fx.call('PATCH', url, {
      ...me,
      body: { callRules: { followMe: { ringDesk: false, steps: [{ numbers: ['999'], ringSec: 15 }] } } },
    });
    expect(ghost.json).toMatchObject({ status: 400, field: 'callRules.followMe.steps.0.numbers.0' });
    const noSteps = await fx.call('PATCH', url, {
      ...me,
      body: {
        callRules: { profiles: { away: { internal: { action: 'followMe' }, external: { action: 'ring' } } } },
      },
    });
    expect(noSteps.json).toMatchObject({ status: 400, field: 'callRules.profiles.away.internal.action' });
    const self = await fx.call('PATCH', url, {
      ...me,
      body: { callRules: { secretary: { number: '101', mode: 'both', firstSec: 0, direct: [] } } },
    });
    expect(self.json).toMatchObject({ status: 400, field: 'callRules.secretary.number' });
    const status = await fx.call('PATCH', url, { ...me, body: { status: 'sleeping' } });
    expect(status.json).toMatchObject({ status: 400, field: 'status' });
    // 102 is named in 101's follow-me: it cannot be deleted.
    const del = await fx.call('DELETE', `${base}/extensions/${fx.A.otherExtensionId}`, as());
    expect(del.json.status).toBe(409);
    expect(del.json.detail, del.json.detail).toContain('extension 101');
    await fx.call('PATCH', url, { ...me, body: { status: 'available', callWaiting: true, callRules: {} } });
  });

  it('lets supervisors read but not change routing, and users neither', async () => {
    expect((await fx.call('GET', `${base}/ring-groups`, { as: fx.A.supervisor })).status).toBe(200);
    expect(
      (await fx.call('POST', `${base}/ring-groups`, { as: fx.A.supervisor, body: group({ number: null }) }))
        .status,
    ).toBe(403);
    expect((await fx.call('GET', `${base}/ring-groups`, { as: fx.A.user })).status).toBe(403);
    // Calendars are office hours: everyone reads them (a user's status may follow one), nobody else writes.
    const cals = await fx.call('GET', `${base}/calendars`, { as: fx.A.user });
    expect(cals.status).toBe(200);
    expect(cals.json.items.length).toBeGreaterThan(0);
    expect(
      (await fx.call('GET', `${base}/calendars/${cals.json.items[0].id}/state`, { as: fx.A.user })).status,
    ).toBe(200);
    expect(
      (await fx.call('DELETE', `${base}/calendars/${cals.json.items[0].id}`, { as: fx.A.user })).status,
    ).toBe(403);
    const audit = await fx.call('GET', `${base}/audit-log?limit=200`, as());
    const actions = audit.json.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['ringGroup.create', 'calendar.override', 'calendar.importIcs']),
    );
  });
});
