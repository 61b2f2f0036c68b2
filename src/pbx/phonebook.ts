/**
 * The tenants' phonebooks as the SIP side reads them: per tenant, a map from each
 * contact number's normalised key to the contact, in memory (DESIGN.md §2: no
 * database query on the SIP hot path). A tenant's map is rebuilt when its
 * contacts change (`reload`, told by the API or a CRM sync) and, as a safety net
 * for changes made on another node, in the background once it is older than
 * `maxAgeMs`; lookups keep answering from the old map meanwhile.
 */
import { type ContactNumberRow, contactNumberKey } from '../store/repositories/contacts.js';
import type { Store } from '../store/store.js';
import type { CallerIdentity, CallerLookupSource } from './caller-lookup.js';

export interface PhonebookEntry {
  id: string;
  name: string;
  company: string;
  numbers: ContactNumberRow['numbers'];
}

interface TenantBook {
  byKey: Map<string, PhonebookEntry>;
  entries: PhonebookEntry[];
  loadedAt: number;
}

export interface PhonebookOptions {
  /** The tenant's country, by which numbers are normalised (the SIP snapshot's). */
  countryOf: (tenantId: string) => string | undefined;
  /** How old a map may get before it is refreshed in the background (default 60 s). */
  maxAgeMs?: number;
  now?: () => number;
  onError?: (tenantId: string, err: unknown) => void;
}

export class Phonebook implements CallerLookupSource {
  readonly name = 'phonebook';
  private readonly books = new Map<string, TenantBook>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly opts: PhonebookOptions,
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Loads (or reloads) one tenant's map; concurrent calls share one load. */
  reload(tenantId: string): Promise<void> {
    const running = this.loading.get(tenantId);
    // A change made while a load runs may have been missed by it: load once more after.
    const next = (running ? running.catch(() => {}) : Promise.resolve()).then(() => this.load(tenantId));
    const tracked = next.finally(() => {
      if (this.loading.get(tenantId) === tracked) this.loading.delete(tenantId);
    });
    this.loading.set(tenantId, tracked);
    return tracked;
  }

  private async load(tenantId: string): Promise<void> {
    const rows = await this.store.tenant(tenantId).contacts.numberIndex();
    const byKey = new Map<string, PhonebookEntry>();
    const entries: PhonebookEntry[] = [];
    for (const r of rows) {
      const entry = { id: r.id, name: r.name, company: r.company, numbers: r.numbers };
      entries.push(entry);
      // The first contact with a number keeps it (rows come in no set order; any one is right).
      for (const key of r.numberKeys) if (!byKey.has(key)) byKey.set(key, entry);
    }
    this.books.set(tenantId, { byKey, entries, loadedAt: this.now() });
  }

  /** Loads every tenant's map (start-up); one tenant's failure does not stop the others. */
  async loadAll(tenantIds: string[]): Promise<void> {
    for (const id of [...this.books.keys()]) if (!tenantIds.includes(id)) this.books.delete(id);
    for (const id of tenantIds) await this.reload(id).catch((e: unknown) => this.opts.onError?.(id, e));
  }

  forget(tenantId: string): void {
    this.books.delete(tenantId);
  }

  private book(tenantId: string): TenantBook | undefined {
    const book = this.books.get(tenantId);
    const maxAge = this.opts.maxAgeMs ?? 60_000;
    if ((!book || this.now() - book.loadedAt > maxAge) && !this.loading.has(tenantId))
      this.reload(tenantId).catch((e: unknown) => this.opts.onError?.(tenantId, e));
    return book;
  }

  /** The contact with this number (as a carrier or phone sends it), from memory. */
  find(tenantId: string, number: string): PhonebookEntry | null {
    const book = this.book(tenantId);
    if (!book) return null;
    const key = contactNumberKey(number, this.opts.countryOf(tenantId) ?? 'RU');
    return book.byKey.get(key) ?? book.byKey.get(number) ?? null;
  }

  /** Every contact with a number (dial-by-name's directory). */
  entries(tenantId: string): readonly PhonebookEntry[] {
    return this.book(tenantId)?.entries ?? [];
  }

  async lookup(tenantId: string, number: string): Promise<CallerIdentity | null> {
    const c = this.find(tenantId, number);
    const name = c ? c.name || c.company : '';
    return name ? { name, source: this.name } : null;
  }
}
