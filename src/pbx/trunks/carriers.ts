/**
 * Everything on the SIP side that reaches the public network: the running
 * trunks, the external-call limits, and the fraud rule's block (written to the
 * extension, audited, announced as an event). The router reaches it as its
 * `OutboundEnv`; inbound calls ask it which trunk a request came from.
 */
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import type { Directory } from '../directory.js';
import type { PbxEvents } from '../events.js';
import type { OutboundEnv } from '../routing/external.js';
import { ExternalLimits } from './limits.js';
import { TrunkSet, type TrunkSetDeps } from './trunk-set.js';

export class Carriers {
  readonly trunks: TrunkSet;
  readonly limits: ExternalLimits;
  readonly outbound: OutboundEnv;

  constructor(
    deps: TrunkSetDeps,
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly events: PbxEvents,
    private readonly log: Logger,
    /** The snapshot must learn of a block at once (the next call is refused). */
    private readonly reload: (tenantId: string) => Promise<void>,
  ) {
    this.trunks = new TrunkSet(deps);
    this.limits = new ExternalLimits(
      () => new Date(),
      (tenantId, number, reason) => {
        this.block(tenantId, number, reason).catch((e: unknown) =>
          this.log.error({ err: e, tenantId, number }, 'blocking an extension for fraud failed'),
        );
      },
      (tenantId, minutes) => {
        this.log.warn({ tenantId, minutes }, 'daily external minutes used up');
        this.events.emit({ type: 'limit.reached', tenantId, limit: 'dailyExternalMinutes', value: minutes });
      },
      (tenantId, what, spent, cap) => {
        const used = Math.round(spent);
        this.log.warn({ tenantId, spent: used, cap }, `daily spend ${what}`);
        this.events.emit(
          what === 'reached'
            ? { type: 'limit.reached', tenantId, limit: 'dailySpendCap', value: cap }
            : { type: 'limit.warning', tenantId, limit: 'dailySpendCap', value: cap, used },
        );
      },
    );
    const t = this.trunks;
    this.outbound = {
      trunk: (id) => this.directory.trunks.get(id),
      targets: (id) => t.targets(id),
      acquire: (id) => t.acquire(id),
      release: (id) => t.release(id),
      isDown: (id) => t.isDown(id),
      trunksFor: (tenantId) =>
        [...this.directory.trunks.values()]
          .filter((tr) => tr.enabled && (tr.tenantIds === null || tr.tenantIds.includes(tenantId)))
          .map((tr) => tr.id),
      check: (o) => this.limits.check(o),
      take: (o, international, startMs, price, cut) =>
        this.limits.take(o, international, startMs, price, cut),
      priceOf: (e164) => this.directory.priceOf(e164),
    };
  }

  /** At start: trunks up, and today's answered external minutes counted back from the call records. */
  async start(): Promise<void> {
    this.sync();
    const since = new Date(Date.now() - 36 * 3600_000);
    const rows = await this.store.db
      .selectFrom('calls')
      .select(['tenantId', 'answeredAt', 'endedAt'])
      .where('direction', '=', 'outbound')
      .where('answeredAt', '>', since)
      .where('endedAt', 'is not', null)
      .execute();
    // Spend is whatever was priced, whichever way the call began (a call from outside forwarded
    // out, a callback, a click-to-call), counted by when it ended, as the live counter does.
    const priced = await this.store.db
      .selectFrom('calls')
      .select(['tenantId', 'endedAt', 'cost'])
      .where('cost', 'is not', null)
      .where('endedAt', '>', since)
      .execute();
    for (const tenant of this.directory.all()) {
      const startOfDay = startOfDayIn(tenant.timeZone);
      let seconds = 0;
      let spent = 0;
      for (const r of rows) {
        if (r.tenantId !== tenant.id || !r.answeredAt || !r.endedAt || r.answeredAt < startOfDay) continue;
        seconds += (r.endedAt.getTime() - r.answeredAt.getTime()) / 1000;
      }
      for (const r of priced)
        if (r.tenantId === tenant.id && r.endedAt && r.endedAt >= startOfDay) spent += r.cost ?? 0;
      this.limits.baseline(tenant.id, tenant.timeZone, seconds, spent, tenant);
    }
  }

  /** A tenant's external minutes and spend today, and its external calls now (this node's counts). */
  usage(tenantId: string): { answeredSeconds: number; spent: number; activeCalls: number } | null {
    const tenant = this.directory.tenantById(tenantId);
    if (!tenant) return null;
    return {
      answeredSeconds: this.limits.usedToday(tenantId, tenant.timeZone),
      spent: this.limits.spentToday(tenantId, tenant.timeZone),
      activeCalls: this.limits.active(tenantId),
    };
  }

  /** Trunks as configured now (after an operator's change). */
  sync(): void {
    this.trunks.sync(this.directory.trunks.values());
  }

  /** The anomaly rule fired: the extension makes no more external calls until an administrator clears it. */
  private async block(tenantId: string, number: string, reason: string): Promise<void> {
    this.log.warn({ tenantId, number, reason }, 'fraud rule: external calls blocked');
    await this.store.transaction(async (tx) => {
      const s = tx.tenant(tenantId);
      const ext = await s.extensions.getByNumber(number);
      if (!ext || ext.externalBlocked) return;
      await s.extensions.update(ext.id, { externalBlocked: reason });
      await s.audit.record(
        { type: 'system', id: null, label: 'fraud rule', ip: null },
        {
          action: 'extension.externalBlocked',
          resourceType: 'extension',
          resourceId: ext.id,
          before: { externalBlocked: null },
          after: { externalBlocked: reason },
        },
      );
    });
    await this.reload(tenantId);
    this.events.emit({ type: 'fraud.blocked', tenantId, extension: number, reason });
  }

  stop(): Promise<void> {
    return this.trunks.stop();
  }
}

function startOfDayIn(timeZone: string): Date {
  return DateTime.now().setZone(timeZone).startOf('day').toJSDate();
}
