/**
 * Who is calling from outside: a name for the phones and the call record, and
 * perhaps the extension of the person responsible for that customer (a CRM's
 * "responsible manager", used to route the call to them first).
 *
 * Sources are the tenant's phonebook (local, fast) and CRM lookups (remote,
 * slow, may fail). All are asked at once under one deadline, so a CRM that
 * hangs costs the caller at most `timeoutMs` of ringing, never the call.
 */

export interface CallerIdentity {
  /** The caller's name as the phones should show it. */
  name: string;
  /** The extension number of the responsible person, when a source knows one. */
  owner?: string | null;
  /** Which source said so ('phonebook', 'crm:<name>'), for the call record and logs. */
  source: string;
}

export interface CallerLookupSource {
  /** A short name for logs. */
  readonly name: string;
  /** Resolves null when the number is unknown to this source; rejects on failure. */
  lookup(tenantId: string, number: string, signal: AbortSignal): Promise<CallerIdentity | null>;
}

export interface CallerLookupOptions {
  /** The most a caller waits for the answers (default 1.5 s). */
  timeoutMs?: number;
  onError?: (source: string, err: unknown) => void;
}

/**
 * The sources in order of trust: the first source with a name gives the name; the
 * first with an owner gives the owner (a phonebook name and a CRM manager combine).
 */
export class CallerLookup {
  private readonly sources: CallerLookupSource[] = [];

  constructor(private readonly options: CallerLookupOptions = {}) {}

  /** Adds a source after those already added (later sources are trusted less). */
  add(source: CallerLookupSource): void {
    this.sources.push(source);
  }

  get empty(): boolean {
    return this.sources.length === 0;
  }

  async lookup(tenantId: string, number: string): Promise<CallerIdentity | null> {
    if (!number || this.sources.length === 0) return null;
    const abort = new AbortController();
    const timeoutMs = this.options.timeoutMs ?? 1500;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const answers = this.sources.map((s) =>
      s.lookup(tenantId, number, abort.signal).catch((err: unknown) => {
        if (!abort.signal.aborted) this.options.onError?.(s.name, err);
        return null;
      }),
    );
    // Each answer is awaited only until the deadline; a late one counts as no answer.
    const settled = await Promise.all(answers.map((a) => Promise.race([a, deadline.then(() => null)])));
    clearTimeout(timer);
    abort.abort();
    const name = settled.find((r) => r?.name);
    const owner = settled.find((r) => r?.owner);
    if (!name && !owner) return null;
    return {
      name: name?.name ?? '',
      owner: owner?.owner ?? null,
      source: (name ?? owner)?.source ?? '',
    };
  }
}
