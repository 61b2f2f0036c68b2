/**
 * The company phonebook: everyone in the tenant reads it (the softphone's
 * directory), administrators and supervisors keep it — by hand, by CSV import
 * (merged by number or replacing what was typed and imported before; a dry run
 * shows what would happen, line by line) and CSV export. The PBX hears of every
 * change before the answer, so the next call already shows the new name.
 */
import { Readable } from 'node:stream';
import Type from 'typebox';
import type { ContactInput, ContactRepository } from '../../store/repositories/contacts.js';
import type { Contact } from '../../store/schema.js';
import { type ContactProblem, contactProblems, contactsCsv, readContactsCsv } from '../contacts-csv.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { listQuery, pageOf, TenantIdParams, TenantParams, Timestamp, toListQuery, Uuid } from '../schemas.js';

const tags = ['contacts'];

/** Contacts one import may carry (a 5 MB body holds about that many). */
const MAX_IMPORT_ROWS = 20_000;
const IMPORT_BODY_LIMIT = 5 * 1024 * 1024;

const NumberSchema = Type.Object(
  {
    number: Type.String({ minLength: 1, maxLength: 40, pattern: '^\\+?[0-9*#][0-9*#\\s().\\-/]*$' }),
    label: Type.String({ maxLength: 40, description: 'mobile, work, home…' }),
  },
  { additionalProperties: false },
);

const ContactSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  company: Type.String(),
  numbers: Type.Array(Type.Object({ number: Type.String(), label: Type.String() })),
  email: Type.String(),
  notes: Type.String(),
  source: Type.String({ description: "'manual', 'import' or 'crm:<connector>'" }),
  externalId: Type.Union([Type.String(), Type.Null()], { description: "The source's own id (a CRM's)" }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  company: Type.String({ maxLength: 200 }),
  numbers: Type.Array(NumberSchema, { maxItems: 10 }),
  email: Type.String({ maxLength: 254 }),
  notes: Type.String({ maxLength: 2000 }),
};

function contactView(c: Contact) {
  return {
    id: c.id,
    name: c.name,
    company: c.company,
    numbers: c.numbers,
    email: c.email,
    notes: c.notes,
    source: c.source,
    externalId: c.externalId,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** The API's own checks beyond the schema (a name of spaces, an email that is none). */
function check(c: ContactInput): void {
  const p = contactProblems(c)[0];
  if (p) throw new ApiError('VALIDATION_FAILED', p.message, p.field);
}

/** Thrown out of a dry run's transaction, so nothing it wrote is kept. */
class DryRun extends Error {}

interface ImportOutcome {
  created: number;
  updated: number;
  removed: number;
  preview: { line: number; action: 'create' | 'update'; name: string; company: string; numbers: string[] }[];
}

const PREVIEW_ROWS = 50;

/** Writes the rows: merged into the contact that has one of their numbers, or created. */
async function importRows(
  repo: ContactRepository,
  rows: { line: number; contact: ContactInput }[],
  mode: 'merge' | 'replace',
): Promise<ImportOutcome> {
  const out: ImportOutcome = { created: 0, updated: 0, removed: 0, preview: [] };
  // Replacing drops what was typed in or imported before; a CRM's contacts come back with its next sync anyway.
  if (mode === 'replace') out.removed = await repo.deleteBySources(['manual', 'import']);
  for (const { line, contact } of rows) {
    let existing: Contact | undefined;
    for (const n of contact.numbers) {
      existing = (await repo.byNumber(n.number))[0];
      if (existing) break;
    }
    let action: 'create' | 'update';
    if (existing) {
      const keys = new Set(existing.numberKeys);
      const added: ContactInput['numbers'] = [];
      for (const n of contact.numbers) {
        const key = await repo.keyOf(n.number);
        if (!keys.has(key)) {
          keys.add(key);
          added.push(n);
        }
      }
      await repo.update(existing.id, {
        name: contact.name,
        ...(contact.company ? { company: contact.company } : {}),
        ...(contact.email ? { email: contact.email } : {}),
        ...(contact.notes ? { notes: contact.notes } : {}),
        numbers: [...existing.numbers, ...added].slice(0, 10),
      });
      out.updated++;
      action = 'update';
    } else {
      await repo.create(contact, 'import');
      out.created++;
      action = 'create';
    }
    if (out.preview.length < PREVIEW_ROWS)
      out.preview.push({
        line,
        action,
        name: contact.name,
        company: contact.company ?? '',
        numbers: contact.numbers.map((n) => n.number),
      });
  }
  return out;
}

export async function contactRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const base = '/api/v1/tenants/:tenantId/contacts';
  const changed = (tenantId: string) => deps.contactsChanged?.(tenantId);

  app.get(
    base,
    {
      config: { permission: 'contacts.read' },
      schema: {
        tags,
        summary: 'The phonebook: search by name, company, email or any part of a number',
        params: TenantParams,
        querystring: listQuery(['name', 'company', 'createdAt', 'updatedAt'], {
          source: Type.Optional(
            Type.String({ maxLength: 100, description: "Only this source's ('manual', 'import', 'crm:…')" }),
          ),
        }),
        response: { 200: pageOf(ContactSchema) },
      },
    },
    async (req) => {
      const page = await store
        .tenant(req.params.tenantId)
        .contacts.list({ ...toListQuery(req.query), source: req.query.source });
      return { ...page, items: page.items.map(contactView) };
    },
  );

  app.get(
    `${base}/export.csv`,
    {
      config: { permission: 'contacts.manage' },
      schema: {
        tags,
        summary:
          'The whole phonebook as CSV (UTF-8 with BOM; columns name, company, numbers, email, notes), streamed',
        params: TenantParams,
      },
    },
    async (req, reply) => {
      const repo = store.tenant(req.params.tenantId).contacts;
      reply
        .header(
          'content-disposition',
          `attachment; filename="contacts-${new Date().toISOString().slice(0, 10)}.csv"`,
        )
        .header('cache-control', 'no-store');
      return reply.type('text/csv; charset=utf-8').send(Readable.from(contactsCsv(repo.all())));
    },
  );

  app.post(
    `${base}/import`,
    {
      config: { permission: 'contacts.manage' },
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags,
        summary:
          'Imports contacts from CSV (header row; "," or ";" separated; BOM tolerated). Merge: a row whose number a contact has updates that contact. Replace: manual and imported contacts are removed first. dryRun: nothing is written, the answer shows what would be.',
        params: TenantParams,
        body: Type.Object(
          {
            csv: Type.String({ maxLength: IMPORT_BODY_LIMIT, description: 'The CSV file as text' }),
            mode: Type.Optional(
              Type.Union([Type.Literal('merge'), Type.Literal('replace')], { default: 'merge' }),
            ),
            dryRun: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            dryRun: Type.Boolean(),
            mode: Type.String(),
            total: Type.Integer({ description: 'Records in the file after the header' }),
            created: Type.Integer(),
            updated: Type.Integer(),
            removed: Type.Integer(),
            skipped: Type.Integer({ description: 'Records not taken (see errors)' }),
            errors: Type.Array(
              Type.Object({
                line: Type.Integer({ description: 'The line of the file (the header is line 1)' }),
                field: Type.String(),
                code: Type.String({
                  description:
                    'required | tooLong | notEmail | notNumber | tooMany (value: the limit or the bad value)',
                }),
                value: Type.String(),
                message: Type.String(),
              }),
            ),
            preview: Type.Array(
              Type.Object({
                line: Type.Integer(),
                action: Type.Union([Type.Literal('create'), Type.Literal('update')]),
                name: Type.String(),
                company: Type.String(),
                numbers: Type.Array(Type.String()),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const mode = req.body.mode ?? 'merge';
      const dryRun = req.body.dryRun ?? false;
      const parsed = readContactsCsv(req.body.csv, MAX_IMPORT_ROWS);
      const fileProblem = parsed.problems.find((p) => p.field === 'file');
      if (fileProblem)
        throw new ApiError('VALIDATION_FAILED', `Line ${fileProblem.line}: ${fileProblem.message}`, 'csv');
      let outcome: ImportOutcome | null = null;
      try {
        await store.transaction(async (tx) => {
          const t = tx.tenant(req.params.tenantId);
          outcome = await importRows(t.contacts, parsed.rows, mode);
          // The dry run does the same work and is rolled back: its preview is exactly what a real run does.
          if (dryRun) throw new DryRun();
          await t.audit.record(actorOf(req), {
            action: 'contact.import',
            resourceType: 'contact',
            resourceId: null,
            after: { mode, created: outcome.created, updated: outcome.updated, removed: outcome.removed },
          });
        });
      } catch (e) {
        if (!(e instanceof DryRun)) throw e;
      }
      const o = outcome as ImportOutcome | null;
      if (!dryRun) await changed(req.params.tenantId);
      const skippedLines = new Set(parsed.problems.map((p: ContactProblem) => p.line));
      return {
        dryRun,
        mode,
        total: parsed.total,
        created: o?.created ?? 0,
        updated: o?.updated ?? 0,
        removed: o?.removed ?? 0,
        skipped: skippedLines.size,
        errors: parsed.problems.slice(0, 500),
        preview: o?.preview ?? [],
      };
    },
  );

  app.get(
    `${base}/:id`,
    {
      config: { permission: 'contacts.read' },
      schema: { tags, summary: 'A contact', params: TenantIdParams, response: { 200: ContactSchema } },
    },
    async (req) => {
      const c = await store.tenant(req.params.tenantId).contacts.get(req.params.id);
      if (!c) throw notFound('Contact');
      return contactView(c);
    },
  );

  app.post(
    base,
    {
      config: { permission: 'contacts.manage' },
      schema: {
        tags,
        summary: 'Add a contact',
        params: TenantParams,
        body: Type.Object(
          {
            name: fields.name,
            company: Type.Optional(fields.company),
            numbers: Type.Optional(fields.numbers),
            email: Type.Optional(fields.email),
            notes: Type.Optional(fields.notes),
          },
          { additionalProperties: false },
        ),
        response: { 201: ContactSchema },
      },
    },
    async (req, reply) => {
      const input: ContactInput = { ...req.body, numbers: req.body.numbers ?? [] };
      check(input);
      const c = await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const created = await t.contacts.create(input);
        await t.audit.record(actorOf(req), {
          action: 'contact.create',
          resourceType: 'contact',
          resourceId: created.id,
          after: contactView(created),
        });
        return created;
      });
      await changed(req.params.tenantId);
      reply.code(201);
      return contactView(c);
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: { permission: 'contacts.manage' },
      schema: {
        tags,
        summary: 'Change a contact',
        params: TenantIdParams,
        body: Type.Partial(Type.Object(fields), { additionalProperties: false }),
        response: { 200: ContactSchema },
      },
    },
    async (req) => {
      const c = await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const before = await t.contacts.get(req.params.id);
        if (!before) throw notFound('Contact');
        check({
          name: req.body.name ?? before.name,
          company: req.body.company ?? before.company,
          numbers: req.body.numbers ?? before.numbers,
          email: req.body.email ?? before.email,
          notes: req.body.notes ?? before.notes,
        });
        const after = await t.contacts.update(before.id, req.body);
        if (!after) throw notFound('Contact');
        await t.audit.record(actorOf(req), {
          action: 'contact.update',
          resourceType: 'contact',
          resourceId: before.id,
          before: contactView(before),
          after: contactView(after),
        });
        return after;
      });
      await changed(req.params.tenantId);
      return contactView(c);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: { permission: 'contacts.manage' },
      schema: { tags, summary: 'Remove a contact', params: TenantIdParams, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const before = await t.contacts.get(req.params.id);
        if (!before || !(await t.contacts.delete(before.id))) throw notFound('Contact');
        await t.audit.record(actorOf(req), {
          action: 'contact.delete',
          resourceType: 'contact',
          resourceId: before.id,
          before: contactView(before),
        });
      });
      await changed(req.params.tenantId);
      reply.code(204);
      return null;
    },
  );
}
