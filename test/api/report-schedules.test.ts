/**
 * Scheduled email reports: the API keeps a tenant's schedules (the next run worked
 * out in the tenant's zone), and the mailer sends each due one once — two nodes
 * kicked at the same instant send one email — through a real SMTP server, with
 * the report as an Excel workbook or a PDF read back here (the PDF's text by
 * poppler's pdftotext, a reader independent of the writer).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { type ParsedMail, simpleParser } from 'mailparser';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportMailer } from '../../src/api/report-mailer.js';
import { nextRunAt, reportPeriod } from '../../src/api/report-schedule.js';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('scheduled email reports', () => {
  let fx: Fixture;
  let smtp: SMTPServer;
  let smtpUrl = '';
  const mails: ParsedMail[] = [];
  const url = () => `/api/v1/tenants/${fx.A.id}/report-schedules`;

  beforeAll(async () => {
    fx = await createFixture('pglite');
    await fx.store.tenants.update(fx.A.id, { timeZone: 'Europe/Moscow', language: 'ru' });
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, cb) {
        simpleParser(stream)
          .then((m) => {
            mails.push(m);
            cb();
          })
          .catch(cb);
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`;
    const call = (id: string, start: string, answered: boolean) => ({
      tenantId: fx.A.id,
      sipCallId: id,
      caller: '+79160000001',
      callerName: '',
      callee: '101',
      direction: 'inbound' as const,
      status: 'ended' as const,
      startedAt: new Date(start),
      answeredAt: answered ? new Date(Date.parse(start) + 5000) : null,
      endedAt: new Date(Date.parse(start) + 65_000),
      cause: answered ? 'normal' : 'no-answer',
      sipStatus: answered ? 200 : 480,
      hangupBy: 'caller' as const,
      legs: '[]',
      node: 'test',
    });
    await fx.store.db
      .insertInto('calls')
      .values([
        // 7 December in Moscow: two answered (60 s each), one missed; the 8th: not in the report.
        call('a', '2026-12-07T06:00:00Z', true),
        call('b', '2026-12-07T12:00:00Z', true),
        call('c', '2026-12-07T20:59:00Z', false),
        call('d', '2026-12-07T21:00:00Z', true),
      ])
      .execute();
  });
  afterAll(async () => {
    await fx?.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it('works out the next run and the period in the tenant’s zone', () => {
    const z = 'Europe/Moscow';
    const at = new Date('2026-12-07T06:00:00Z'); // Monday 09:00 in Moscow
    const t = (
      frequency: 'daily' | 'weekly' | 'monthly',
      timeOfDay: string,
      weekday: number | null = null,
      dayOfMonth: number | null = null,
    ) => ({
      frequency,
      timeOfDay,
      weekday,
      dayOfMonth,
    });
    expect(nextRunAt(t('daily', '08:00'), z, at).toISOString()).toBe('2026-12-08T05:00:00.000Z');
    expect(nextRunAt(t('daily', '10:30'), z, at).toISOString()).toBe('2026-12-07T07:30:00.000Z');
    expect(nextRunAt(t('weekly', '09:00', 1), z, at).toISOString()).toBe('2026-12-14T06:00:00.000Z');
    expect(nextRunAt(t('weekly', '07:00', 5), z, at).toISOString()).toBe('2026-12-11T04:00:00.000Z');
    expect(nextRunAt(t('monthly', '07:00', null, 1), z, at).toISOString()).toBe('2027-01-01T04:00:00.000Z');
    expect(nextRunAt(t('monthly', '07:00', null, 28), z, at).toISOString()).toBe('2026-12-28T04:00:00.000Z');
    const due = new Date('2026-12-08T05:00:00Z');
    expect(reportPeriod('daily', z, due)).toEqual({
      from: new Date('2026-12-06T21:00:00Z'),
      to: new Date('2026-12-07T21:00:00Z'),
    });
    expect(reportPeriod('weekly', z, due).from).toEqual(new Date('2026-11-30T21:00:00Z'));
    expect(reportPeriod('monthly', z, due)).toEqual({
      from: new Date('2026-10-31T21:00:00Z'),
      to: new Date('2026-11-30T21:00:00Z'),
    });
  });

  it('keeps schedules for managers, checking the day a weekly or monthly one needs', async () => {
    const body = {
      name: 'Daily calls',
      report: 'calls',
      frequency: 'daily',
      timeOfDay: '08:00',
      recipients: ['boss@example.test', 'ops@example.test'],
    };
    const created = await fx.call('POST', url(), { as: fx.A.supervisor, body });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      ...body,
      format: 'xlsx',
      enabled: true,
      weekday: null,
      lastRunAt: null,
    });
    expect(Date.parse(created.json.nextRunAt)).toBeGreaterThan(Date.now());

    const weekly = await fx.call('POST', url(), { as: fx.A.admin, body: { ...body, frequency: 'weekly' } });
    expect(weekly).toMatchObject({ status: 400, json: { field: 'weekday' } });
    const badMail = await fx.call('POST', url(), {
      as: fx.A.admin,
      body: { ...body, recipients: ['not a mail'] },
    });
    expect(badMail).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
    const badTime = await fx.call('POST', url(), { as: fx.A.admin, body: { ...body, timeOfDay: '24:00' } });
    expect(badTime).toMatchObject({ status: 400, json: { field: 'timeOfDay' } });
    expect((await fx.call('POST', url(), { as: fx.A.user, body })).status).toBe(403);

    const id = created.json.id;
    const patched = await fx.call('PATCH', `${url()}/${id}`, {
      as: fx.A.admin,
      body: { frequency: 'monthly', dayOfMonth: 1, report: 'queues' },
    });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    expect(patched.json).toMatchObject({
      frequency: 'monthly',
      dayOfMonth: 1,
      weekday: null,
      report: 'queues',
    });
    const noDay = await fx.call('PATCH', `${url()}/${id}`, { as: fx.A.admin, body: { frequency: 'weekly' } });
    expect(noDay).toMatchObject({ status: 400, json: { field: 'weekday' } });

    const listed = await fx.call('GET', url(), { as: fx.A.admin });
    expect(listed.json.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.B.id}/report-schedules`, { as: fx.A.admin })).status,
    ).toBe(404);
    expect((await fx.call('DELETE', `${url()}/${id}`, { as: fx.A.admin })).status).toBe(204);
    expect((await fx.call('DELETE', `${url()}/${id}`, { as: fx.A.admin })).status).toBe(404);
  });

  it('sends a due report once, as a workbook, and sets the next run', async () => {
    const s = await fx.store.tenant(fx.A.id).reportSchedules.create({
      name: 'Звонки за день',
      report: 'calls',
      frequency: 'daily',
      timeOfDay: '08:00',
      weekday: null,
      dayOfMonth: null,
      recipients: ['boss@example.test'],
      format: 'xlsx',
      nextRunAt: new Date('2026-12-08T05:00:00Z'),
    });
    // Two nodes, both kicked a minute after it came due.
    const now = () => new Date('2026-12-08T05:01:00Z');
    const log = pino({ level: 'silent' });
    const nodes = [1, 2].map(
      () => new ReportMailer(fx.store, log, { smtpUrl, from: 'pbx@example.test', now }),
    );
    for (const n of nodes) n.kick();
    await Promise.all(nodes.map((n) => n.idle()));
    await Promise.all(nodes.map((n) => n.close()));
    await expect.poll(() => mails.length).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(mails).toHaveLength(1);

    const mail = mails[0]!;
    expect(mail.subject).toBe('Отчёт по звонкам: Звонки за день (2026-12-07 – 2026-12-07)');
    expect(mail.from?.text).toBe('pbx@example.test');
    expect(mail.text).toContain('«Звонки за день»');
    const [file] = mail.attachments;
    expect(file?.filename).toBe('calls-2026-12-07-2026-12-07.xlsx');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(file!.content as unknown as ArrayBuffer);
    const summary = book.getWorksheet('Итоги')!;
    const header = summary.getRow(1).values as unknown[];
    const values = summary.getRow(2).values as unknown[];
    const cell = (name: string) => values[header.indexOf(name)];
    expect([cell('calls'), cell('answered'), cell('missed'), cell('talkSec')]).toEqual([3, 2, 1, 120]);
    const byDay = book.getWorksheet('По дням')!;
    expect(byDay.getRow(2).values).toEqual([undefined, '2026-12-07', 3, 2, 1]);

    const after = await fx.store.tenant(fx.A.id).reportSchedules.get(s.id);
    expect(after).toMatchObject({
      nextRunAt: new Date('2026-12-09T05:00:00Z'),
      lastRunAt: new Date('2026-12-08T05:01:00Z'),
      lastError: null,
    });
  });

  it('sends a PDF in the tenant’s language that a PDF reader reads the figures from', async () => {
    const created = await fx.call('POST', url(), {
      as: fx.A.admin,
      body: {
        name: 'Звонки PDF',
        report: 'calls',
        frequency: 'daily',
        timeOfDay: '08:00',
        recipients: ['boss@example.test'],
        format: 'pdf',
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.format).toBe('pdf');
    const bad = await fx.call('PATCH', `${url()}/${created.json.id}`, {
      as: fx.A.admin,
      body: { format: 'doc' },
    });
    expect(bad).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
    await fx.store.db
      .updateTable('reportSchedules')
      .set({ nextRunAt: new Date('2026-12-08T05:00:00Z') })
      .where('id', '=', created.json.id)
      .execute();
    const before = mails.length;
    const mailer = new ReportMailer(fx.store, pino({ level: 'silent' }), {
      smtpUrl,
      from: 'pbx@example.test',
      now: () => new Date('2026-12-08T05:01:00Z'),
    });
    mailer.kick();
    await mailer.idle();
    await mailer.close();
    await expect.poll(() => mails.length).toBe(before + 1);
    const [file] = mails[before]!.attachments;
    expect(file?.filename).toBe('calls-2026-12-07-2026-12-07.pdf');
    expect(file?.contentType).toBe('application/pdf');
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-pdf-'));
    try {
      writeFileSync(join(dir, 'r.pdf'), file!.content);
      const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', join(dir, 'r.pdf'), '-'], {
        encoding: 'utf8',
      });
      const lines = text.split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
      expect(text).toContain('Отчёт по звонкам: Звонки PDF');
      expect(text).toContain('Период: 2026-12-07 – 2026-12-07');
      // Totals: 3 calls, 2 answered, 1 missed, all inbound, 2 talk minutes, 5 s to answer.
      for (const l of [
        'Итоги',
        'Звонки 3',
        'Отвечено 2',
        'Пропущено 1',
        'Входящие 3',
        'Исходящие 0',
        'Разговор, мин 2',
        'Среднее до ответа, с 5',
      ])
        expect(lines).toContain(l);
      expect(text).toContain('По дням');
      expect(lines).toContain('2026-12-07 3 2 1');
      // The missed caller called again and was answered: nobody is waiting for a call back.
      expect(text).toContain('Пропущенные, не перезвонили');
      expect(text).toContain('Нет данных за период.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
