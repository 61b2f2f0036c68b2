/**
 * Incoming calls as Web Push notifications, for users whose portal is closed:
 * when a call starts ringing an extension whose owner has no browser softphone
 * registered, each of the owner's push subscriptions gets "incoming call"; if the
 * call then ends unanswered, the same notification turns into "missed call" (same
 * tag). Subscriptions the push service says are gone (404/410) are forgotten.
 */
import type { Logger } from 'pino';
import type { PushSubscription } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { generateVapidKeys, type PushResult, sendPush, type VapidKeys } from '../util/web-push.js';
import type { Directory } from './directory.js';
import type { LiveState, PbxEvent, PbxEvents } from './events.js';
import { isWebSocketContact } from './location.js';

export const VAPID_SECRET = 'web-push-vapid-keys';

/** The platform's VAPID keys, made by the first node that needs them and shared through the database. */
export async function vapidKeysOf(store: Store): Promise<VapidKeys> {
  return JSON.parse(
    await store.platformSecret(VAPID_SECRET, () => JSON.stringify(generateVapidKeys())),
  ) as VapidKeys;
}

type Send = typeof sendPush;

export class PushNotifier {
  private keys: Promise<VapidKeys> | null = null;
  /** Calls we announced, by call id: who to tell if it goes unanswered, and when the announcement went. */
  private readonly announced = new Map<string, { subs: PushSubscription[]; sent: Promise<void> }>();

  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly live: LiveState,
    private readonly log: Logger,
    private readonly opts: { subject: string; send?: Send },
  ) {}

  /** The platform's VAPID key pair (browsers subscribe with its public half), made once. */
  vapidKeys(): Promise<VapidKeys> {
    this.keys ??= vapidKeysOf(this.store).catch((e: unknown) => {
      this.keys = null; // a database hiccup must not stick
      throw e;
    });
    return this.keys;
  }

  attach(events: PbxEvents): () => void {
    return events.on((e) => {
      this.onEvent(e).catch((err: unknown) => this.log.warn({ err }, 'web push failed'));
    });
  }

  private async onEvent(e: PbxEvent): Promise<void> {
    if (e.type === 'call.offered') {
      // Whoever the call is about to ring: the dialled extension, a group's members, follow-me steps.
      const ext = this.directory.tenantById(e.tenantId)?.extensions.get(e.extension);
      if (!ext?.userId) return;
      // A softphone that is open rings by itself; push is for when it is not.
      const devices = this.live
        .snapshot(e.tenantId)
        .registrations.find((r) => r.extension === ext.number)?.devices;
      // Over WebSocket to this node, or through Kamailio fronting WebSocket (its Contact says ws).
      if (
        devices?.some((d) => d.transport === 'WS' || d.transport === 'WSS' || isWebSocketContact(d.contact))
      )
        return;
      const subs = await this.store.pushSubscriptions.forUsers([ext.userId]);
      if (subs.length === 0) return;
      const who = e.call.callerName ? `${e.call.callerName} (${e.call.caller})` : e.call.caller;
      const sent = this.push(subs, {
        type: 'call',
        title: 'Incoming call',
        body: who,
        tag: e.call.id,
        url: '/phone',
      });
      const before = this.announced.get(e.call.id);
      this.announced.set(e.call.id, {
        subs: [...(before?.subs ?? []), ...subs],
        sent: Promise.all([before?.sent, sent.catch(() => {})]).then(() => {}),
      });
      await sent;
    } else if (e.type === 'call.answered' || e.type === 'call.ended') {
      const announced = this.announced.get(e.call.id);
      if (!announced) return;
      this.announced.delete(e.call.id);
      if (e.type === 'call.ended' && e.call.answeredAt === null) {
        // After the announcement, so "missed" is what the phone shows last (the same tag replaces it),
        // and only to subscriptions still alive after it.
        await announced.sent;
        const users = [...new Set(announced.subs.map((x) => x.userId))];
        const live = await this.store.pushSubscriptions.forUsers(users);
        const who = e.call.callerName ? `${e.call.callerName} (${e.call.caller})` : e.call.caller;
        await this.push(live, {
          type: 'missed',
          title: 'Missed call',
          body: who,
          tag: e.call.id,
          url: '/calls',
        });
      }
    }
  }

  private async push(subs: PushSubscription[], payload: Record<string, string>): Promise<void> {
    const keys = await this.vapidKeys();
    const send = this.opts.send ?? sendPush;
    const results: PushResult[] = await Promise.all(
      subs.map((s) =>
        send(s, payload, keys, { subject: this.opts.subject, ttlSec: 60, urgency: 'high', topic: 'call' }),
      ),
    );
    await Promise.all(
      results.map((r, i) => (r === 'gone' ? this.store.pushSubscriptions.remove(subs[i]!.endpoint) : null)),
    );
  }
}
