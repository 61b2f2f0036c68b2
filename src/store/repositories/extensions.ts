/** Extensions (phone numbers inside a tenant), always scoped to one tenant. */
import { type Kysely, sql } from 'kysely';
import { LimitError } from '../errors.js';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type {
  CallClass,
  CallRules,
  Database,
  Extension,
  ExtensionRecording,
  Forwarding,
  PresenceStatus,
} from '../schema.js';

export interface ExtensionInput {
  number: string;
  displayName: string;
  userId: string | null;
  sipSecret: string;
  voicemailEnabled: boolean;
  voicemailPin: string | null;
  callClass: CallClass;
  dnd: boolean;
  ringTimeoutSec: number;
  forwarding: Forwarding;
  status?: PresenceStatus;
  callWaiting?: boolean;
  callRules?: CallRules;
  outboundCallerId?: string | null;
  maxExternalCalls?: number | null;
  externalBlocked?: string | null;
  recording?: ExtensionRecording;
}

export type ExtensionPatch = Partial<ExtensionInput>;

export interface ExtensionFilter extends ListQuery {
  userId?: string | undefined;
  dnd?: boolean | undefined;
  callClass?: CallClass | undefined;
}

export const NO_FORWARDING: Forwarding = {
  always: { enabled: false, target: '' },
  busy: { enabled: false, target: '' },
  noAnswer: { enabled: false, target: '' },
  unreachable: { enabled: false, target: '' },
};

// Numbers sort as numbers where they are numeric (101 < 1000), then as text.
const SORT = { number: 'numberSort', displayName: 'displayName', createdAt: 'createdAt' };

export class ExtensionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  private scoped() {
    return this.db
      .selectFrom('extensions')
      .selectAll()
      .select(sql<string>`lpad(number, 20, '0')`.as('numberSort'))
      .where('tenantId', '=', this.tenantId);
  }

  async list(f: ExtensionFilter): Promise<Page<Extension>> {
    let q = this.scoped();
    if (f.userId) q = q.where('userId', '=', f.userId);
    if (f.dnd !== undefined) q = q.where('dnd', '=', f.dnd);
    if (f.callClass) q = q.where('callClass', '=', f.callClass);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('number', 'ilike', p), eb('displayName', 'ilike', p)]));
    }
    const page = await paginate(q, f, SORT, 'number');
    return { ...page, items: page.items.map(strip) };
  }

  async get(id: string): Promise<Extension | undefined> {
    const row = await this.scoped().where('id', '=', id).executeTakeFirst();
    return row && strip(row);
  }

  async getByNumber(number: string): Promise<Extension | undefined> {
    const row = await this.scoped().where('number', '=', number).executeTakeFirst();
    return row && strip(row);
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('extensions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r?.n ?? 0;
  }

  /**
   * Creates an extension if the tenant's limit allows. Call inside a transaction:
   * the tenant row is locked so two concurrent creates cannot both take the last slot.
   */
  async create(input: ExtensionInput): Promise<Extension> {
    const tenant = await this.db
      .selectFrom('tenants')
      .select('maxExtensions')
      .where('id', '=', this.tenantId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if ((await this.count()) >= tenant.maxExtensions) {
      throw new LimitError('number', `The tenant's limit of ${tenant.maxExtensions} extensions is reached`);
    }
    const { recording, ...fields } = input;
    const ext = await this.db
      .insertInto('extensions')
      .values({
        ...fields,
        tenantId: this.tenantId,
        forwarding: JSON.stringify(input.forwarding),
        callRules: JSON.stringify(input.callRules ?? {}),
        ...(recording ? { recording: JSON.stringify(recording) } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // Every extension has its mailbox from the start (its id is the extension's), so reads never create one.
    await this.db
      .insertInto('voicemailBoxes')
      .values({ id: ext.id, tenantId: this.tenantId, extensionId: ext.id, number: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return ext;
  }

  update(id: string, patch: ExtensionPatch): Promise<Extension | undefined> {
    const { forwarding, callRules, recording, ...rest } = patch;
    return this.db
      .updateTable('extensions')
      .set({
        ...rest,
        ...(forwarding ? { forwarding: JSON.stringify(forwarding) } : {}),
        ...(callRules ? { callRules: JSON.stringify(callRules) } : {}),
        ...(recording ? { recording: JSON.stringify(recording) } : {}),
        updatedAt: new Date(),
      })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('extensions')
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}

function strip<T extends { numberSort?: string }>(row: T): Omit<T, 'numberSort'> {
  const { numberSort: _, ...rest } = row;
  return rest;
}
