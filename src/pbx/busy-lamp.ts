/**
 * Busy-lamp field: the `dialog` event package (RFC 4235) over the RFC 6665
 * notifier. A phone subscribes to a colleague's extension and its lamp shows
 * idle, ringing (an early dialog) or busy (a confirmed one). The state comes from
 * the calls this node carries; every change of a call touching an extension
 * sends a NOTIFY to that extension's watchers.
 */
import type { EventPackage, NotifyBody, Subscription } from '../sip/subscription.js';

export interface ExtensionDialog {
  /** A stable id for the call as seen from this extension. */
  id: string;
  callId: string;
  direction: 'initiator' | 'recipient';
  state: 'early' | 'confirmed' | 'terminated';
  /** The other party's number, shown by phones that display who is on the line. */
  remote: string;
}

/** The resource a BLF subscription watches: one extension of one tenant. */
export function lampResource(tenantId: string, number: string): string {
  return `${tenantId}/${number}`;
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class BusyLampPackage implements EventPackage {
  readonly event = 'dialog';
  readonly contentTypes = ['application/dialog-info+xml'];
  readonly expires = { default: 3600, min: 60, max: 3600 };
  /** RFC 4235 §4.1: the version counts up by one per NOTIFY of a subscription. */
  private readonly versions = new WeakMap<Subscription, number>();

  constructor(
    /** The live calls of an extension (resource key as made by lampResource). */
    private readonly dialogsOf: (resource: string) => ExtensionDialog[],
    /** The extension's address for the entity attribute. */
    private readonly entityOf: (resource: string) => string,
  ) {}

  state(sub: Subscription): NotifyBody {
    const version = this.versions.get(sub) ?? 0;
    this.versions.set(sub, version + 1);
    const entity = this.entityOf(sub.resource);
    const dialogs = this.dialogsOf(sub.resource)
      .map(
        (d) =>
          `  <dialog id="${xml(d.id)}" call-id="${xml(d.callId)}" direction="${d.direction}">\n` +
          `    <state>${d.state}</state>\n` +
          `    <remote><identity>${xml(d.remote)}</identity></remote>\n` +
          `  </dialog>\n`,
      )
      .join('');
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xml(entity)}">\n` +
      dialogs +
      `</dialog-info>\n`;
    return { contentType: 'application/dialog-info+xml', body: Buffer.from(body) };
  }
}
