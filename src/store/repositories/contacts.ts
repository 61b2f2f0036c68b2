/**
 * The company phonebook (contacts), scoped to one tenant. Numbers are written as
 * given and matched by a normalised key (E.164 by the tenant's country where they
 * parse, else bare digits), so "8 (495) 123-45-67", "+7 495 1234567" and the
 * E.164 a carrier sends are one number. CSV imports and CRM synchronisation
 * (`upsertFromSource`) write here; the PBX reads the numbers through `numberIndex`.
 */
import { type Kysely, sql } from 'kysely';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { Contact, ContactNumber, Database } from '../schema.js';

export interface ContactInput {
  name: string;
  company?: string;
  numbers: ContactNumber[];
  email?: string;
  notes?: string;
}

/** A contact as a source (a CRM connector) knows it: its own id, so a later sync updates it. */
export interface SourceContact extends ContactInput {
  externalId: string;
}

export interface UpsertResult {
  created: number;
  updated: number;
  removed: number;
}

/** What the PBX keeps in memory per tenant: each normalised number and whose it is. */
export interface ContactNumberRow {
  id: string;
  name: string;
  company: string;
  numbers: ContactNumber[];
  numberKeys: string[];
}

/**
 * A number as lookups compare it: E.164 where it parses with the tenant's country
 * (a national "8 495 …" and an international "+7 495 …" meet), digits (and a
 * leading +) otherwise, so short internal numbers stay as they are.
 */
export function contactNumberKey(number: string, country: string): string {
  const compact = number.replace(/[\s().\-/]/g, '');
  if (/^\+?[0-9]{5,}$/.test(compact)) {
    const p = parsePhoneNumberFromString(compact, country as CountryCode);
    if (p?.isPossible()) return p.number;
  }
  return compact.replace(/[^0-9+*#]/g, '');
}

const SORT = { name: 'name', company: 'company', createdAt: 'createdAt', updatedAt: 'updatedAt' };

/** Batches a sync or import is written in (a statement per contact, a transaction per call). */
const PAGE = 500;

export class ContactRepository {
  private country: Promise<string> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  /** The tenant's country, read once per repository (numbers are normalised by it). */
  countryCode(): Promise<string> {
    this.country ??= this.db
      .selectFrom('tenants')
      .select('country')
      .where('id', '=', this.tenantId)
      .executeTakeFirst()
      .then((t) => t?.country ?? 'RU');
    return this.country;
  }

  async keyOf(number: string): Promise<string> {
    return contactNumberKey(number, await this.countryCode());
  }

  private async row(input: ContactInput) {
    const country = await this.countryCode();
    const numbers = input.numbers
      .map((n) => ({ number: n.number.trim(), label: n.label.trim() }))
      .filter((n) => n.number !== '');
    const keys = [...new Set(numbers.map((n) => contactNumberKey(n.number, country)).filter(Boolean))];
    return {
      name: input.name.trim(),
      company: (input.company ?? '').trim(),
      numbers: JSON.stringify(numbers),
      numberKeys: keys,
      email: (input.email ?? '').trim(),
      notes: input.notes ?? '',
    };
  }

  private scoped() {
    return this.db.selectFrom('contacts').selectAll().where('tenantId', '=', this.tenantId);
  }

  /** Search by name, company, email or number (any part of it); sorted by name by default. */
  async list(f: ListQuery & { source?: string | undefined }): Promise<Page<Contact>> {
    let q = this.scoped();
    if (f.source) q = q.where('source', '=', f.source);
    const text = f.q?.trim();
    if (text) {
      const p = likePattern(text);
      const digits = text.replace(/[^0-9]/g, '');
      q = q.where((eb) =>
        eb.or([
          eb('name', 'ilike', p),
          eb('company', 'ilike', p),
          eb('email', 'ilike', p),
          // Numbers by their digits: "495 123" finds +74951234567 as "4951 23" would.
          ...(digits.length >= 3
            ? [eb(sql`array_to_string(number_keys, ' ')`, 'like', likePattern(digits))]
            : []),
        ]),
      );
    }
    return paginate(q, { ...f, sort: f.sort ?? 'name' }, SORT, 'name');
  }

  get(id: string): Promise<Contact | undefined> {
    return this.scoped().where('id', '=', id).executeTakeFirst();
  }

  /** Every contact, a page at a time, by name (exports). */
  async *all(): AsyncGenerator<Contact[]> {
    let after: { name: string; id: string } | null = null;
    for (;;) {
      let q = this.scoped();
      if (after) {
        const a = after;
        q = q.where((eb) =>
          eb.or([eb('name', '>', a.name), eb.and([eb('name', '=', a.name), eb('id', '>', a.id)])]),
        );
      }
      const rows = await q.orderBy('name').orderBy('id').limit(PAGE).execute();
      if (rows.length) yield rows;
      if (rows.length < PAGE) return;
      const last = rows[rows.length - 1] as Contact;
      after = { name: last.name, id: last.id };
    }
  }

  /** What the PBX's in-memory index is built from: only contacts with numbers. */
  numberIndex(): Promise<ContactNumberRow[]> {
    return this.db
      .selectFrom('contacts')
      .select(['id', 'name', 'company', 'numbers', 'numberKeys'])
      .where('tenantId', '=', this.tenantId)
      .where(sql<boolean>`cardinality(number_keys) > 0`)
      .execute();
  }

  /** Contacts with this number (normalised as stored), through the GIN index. */
  async byNumber(number: string): Promise<Contact[]> {
    const key = await this.keyOf(number);
    if (!key) return [];
    return this.scoped()
      .where(sql<boolean>`number_keys @> array[${key}]::text[]`)
      .orderBy('updatedAt', 'desc')
      .execute();
  }

  async create(input: ContactInput, source = 'manual', externalId: string | null = null): Promise<Contact> {
    return this.db
      .insertInto('contacts')
      .values({ ...(await this.row(input)), tenantId: this.tenantId, source, externalId })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async update(id: string, patch: Partial<ContactInput>): Promise<Contact | undefined> {
    const before = await this.get(id);
    if (!before) return undefined;
    const merged: ContactInput = {
      name: patch.name ?? before.name,
      company: patch.company ?? before.company,
      numbers: patch.numbers ?? before.numbers,
      email: patch.email ?? before.email,
      notes: patch.notes ?? before.notes,
    };
    return this.db
      .updateTable('contacts')
      .set({ ...(await this.row(merged)), updatedAt: new Date() })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('contacts')
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** Removes the contacts of these sources (an import that replaces the manual and imported ones). */
  async deleteBySources(sources: string[]): Promise<number> {
    if (!sources.length) return 0;
    const r = await this.db
      .deleteFrom('contacts')
      .where('tenantId', '=', this.tenantId)
      .where('source', 'in', sources)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('contacts')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r?.n ?? 0;
  }

  /**
   * A source's contacts as it has them now (a CRM connector's sync): each is
   * created or updated by its `externalId`; with `removeMissing`, the source's
   * contacts not in `items` are removed (a full sync). Call it inside
   * `store.transaction` to have all or nothing; the PBX hears of the change
   * through the SIP service's `contactsChanged(tenantId)`.
   */
  async upsertFromSource(
    source: string,
    items: SourceContact[],
    opts: { removeMissing?: boolean } = {},
  ): Promise<UpsertResult> {
    const result: UpsertResult = { created: 0, updated: 0, removed: 0 };
    const seen = new Set<string>();
    for (const item of items) {
      if (!item.externalId || seen.has(item.externalId)) continue;
      seen.add(item.externalId);
      const row = await this.row(item);
      const written = await this.db
        .insertInto('contacts')
        .values({ ...row, tenantId: this.tenantId, source, externalId: item.externalId })
        .onConflict((oc) =>
          oc
            .columns(['tenantId', 'source', 'externalId'])
            .where('externalId', 'is not', null)
            .doUpdateSet({ ...row, updatedAt: new Date() }),
        )
        // xmax = 0 on a freshly inserted row: counts created and updated apart.
        .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
        .executeTakeFirstOrThrow();
      if (written.inserted) result.created++;
      else result.updated++;
    }
    if (opts.removeMissing) {
      let q = this.db
        .deleteFrom('contacts')
        .where('tenantId', '=', this.tenantId)
        .where('source', '=', source);
      if (seen.size)
        q = q.where((eb) => eb.or([eb('externalId', 'is', null), eb('externalId', 'not in', [...seen])]));
      const r = await q.executeTakeFirst();
      result.removed = Number(r.numDeletedRows);
    }
    return result;
  }
}
