/**
 * Message-waiting lamps: the `message-summary` event package (RFC 3842) over the
 * RFC 6665 notifier, and the unsolicited NOTIFY that phones which never
 * subscribe still light their lamp from (sent to each registered contact). The
 * resource is an extension (`<tenant>/<number>`); the counts come from its
 * mailbox.
 */
import { newCallId, newTag } from '../../sip/build.js';
import { type LocalAddress, viaFor } from '../../sip/dialog.js';
import { Headers, parseUri, type SipRequest } from '../../sip/message/index.js';
import type { EventPackage, NotifyBody, Subscription } from '../../sip/subscription.js';
import type { Binding } from '../location.js';

export const SUMMARY_TYPE = 'application/simple-message-summary';

export interface MailboxSummary {
  /** The mailbox's address, for Message-Account. */
  account: string;
  fresh: number;
  old: number;
}

/** RFC 3842 §5.2: "Messages-Waiting: yes", the account, and voice new/old (urgent 0/0). */
export function summaryBody(s: MailboxSummary): Buffer {
  return Buffer.from(
    `Messages-Waiting: ${s.fresh > 0 ? 'yes' : 'no'}\r\n` +
      `Message-Account: ${s.account}\r\n` +
      `Voice-Message: ${s.fresh}/${s.old} (0/0)\r\n`,
  );
}

export class MessageSummaryPackage implements EventPackage {
  readonly event = 'message-summary';
  readonly contentTypes = [SUMMARY_TYPE];
  readonly expires = { default: 3600, min: 60, max: 3600 };

  constructor(private readonly summaryOf: (resource: string) => Promise<MailboxSummary | null>) {}

  async state(sub: Subscription): Promise<NotifyBody | null> {
    const s = await this.summaryOf(sub.resource);
    return s ? { contentType: SUMMARY_TYPE, body: summaryBody(s) } : null;
  }
}

/** An out-of-dialog NOTIFY to one registered contact of the mailbox's owner. */
export function unsolicitedNotify(
  local: LocalAddress,
  binding: Binding,
  aor: string,
  summary: MailboxSummary,
): SipRequest | null {
  const uri = parseUri(binding.contact);
  if (!uri) return null;
  const headers = new Headers();
  headers.append('Via', viaFor(local));
  for (const p of binding.path) headers.append('Route', p);
  headers.append('Max-Forwards', '70');
  headers.append('From', `<${aor}>;tag=${newTag()}`);
  headers.append('To', `<${aor}>`);
  headers.append('Call-ID', newCallId(local.host));
  headers.append('CSeq', '1 NOTIFY');
  headers.append('Event', 'message-summary');
  headers.append('Subscription-State', 'active');
  headers.append('Content-Type', SUMMARY_TYPE);
  return {
    kind: 'request',
    method: 'NOTIFY',
    uri,
    rawUri: binding.contact,
    headers,
    body: summaryBody(summary),
  };
}
