/**
 * The operator's SIP allow-list (addresses and CIDR ranges never banned, rate-limited
 * or capped), kept next to the node's NIMBUS_SIP_ALLOW. Platform objects; every node
 * reads the whole list into its AuthGuard (src/app.ts).
 */
import type { Kysely } from 'kysely';
import type { Database, SipAllowEntry } from '../schema.js';

export interface SipAllowInput {
  /** Canonical form: an address, or an address and prefix length (`10.0.0.0/8`). */
  cidr: string;
  note: string;
}

export class SipAllowRepository {
  constructor(private readonly db: Kysely<Database>) {}

  all(): Promise<SipAllowEntry[]> {
    return this.db.selectFrom('sipAllowList').selectAll().orderBy('createdAt').orderBy('cidr').execute();
  }

  byCidr(cidr: string): Promise<SipAllowEntry | undefined> {
    return this.db.selectFrom('sipAllowList').selectAll().where('cidr', '=', cidr).executeTakeFirst();
  }

  get(id: string): Promise<SipAllowEntry | undefined> {
    return this.db.selectFrom('sipAllowList').selectAll().where('id', '=', id).executeTakeFirst();
  }

  create(input: SipAllowInput): Promise<SipAllowEntry> {
    return this.db.insertInto('sipAllowList').values(input).returningAll().executeTakeFirstOrThrow();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('sipAllowList').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
