/**
 * The checks a message must pass before anything downstream trusts it (RFC 3261 §8.1.1,
 * §8.2.6.2, §18.3): the headers a transaction and a response need (top Via, From, To,
 * Call-ID, CSeq), Max-Forwards and Content-Length ranges, and Contact and Date, whose
 * RFC 4475 malformations (regbadct, baddate) must be caught at the door.
 *
 * The typed parsers run in validate-only mode, allocating nothing, over the octets of the
 * head (see bytes.ts: the datagram's own when they line up with the decoded text), each
 * value within its own range: nothing is sliced out, and no search runs past the value
 * it checks.
 */
import { bytesOf } from './bytes.js';
import { HT, parseDigits, SP } from './charset.js';
import { FOUND, scanCSeq } from './cseq.js';
import {
  H_CALL_ID,
  H_CONTACT,
  H_CONTENT_LENGTH,
  H_COUNT,
  H_CSEQ,
  H_DATE,
  H_FROM,
  H_MAX_FORWARDS,
  H_TO,
  H_VIA,
  type HeaderInfo,
} from './header-names.js';
import { isValidContactsRange, isValidNameAddrRange } from './name-addr.js';
import type { Problems } from './problems.js';
import { isValidSipDate } from './sip-date.js';
import { isValidTopVia } from './via.js';

/** Content-Length, like CSeq, must fit a signed 32-bit integer. */
const MAX_CONTENT_LENGTH = 2 ** 31 - 1;

const NAMES: Record<number, string> = {
  [H_VIA]: 'Via',
  [H_FROM]: 'From',
  [H_TO]: 'To',
  [H_CALL_ID]: 'Call-ID',
  [H_CSEQ]: 'CSeq',
  [H_MAX_FORWARDS]: 'Max-Forwards',
};

/** The headers without which a response cannot be built or matched (§8.1.1). */
const MANDATORY = [H_VIA, H_FROM, H_TO, H_CALL_ID, H_CSEQ];
/** Headers that are not lists and so may appear once only (§7.3.1; RFC 4475 multi01). */
const SINGLE = [H_FROM, H_TO, H_CALL_ID, H_CSEQ, H_MAX_FORWARDS];

/**
 * Tallies the header lines of one message as they are read, then checks them. One
 * instance is reused for every message (reset() between them): parsing is synchronous.
 */
export class HeaderChecks {
  /** Number of lines per H_* id; the other per-id slots are only read when it is not 0. */
  private readonly count = new Int32Array(H_COUNT);
  /** Index of the first line of each H_* header. */
  private readonly first = new Int32Array(H_COUNT);
  /** The first value of each H_* header lies in src[id] between start[id] and end[id]. */
  private readonly src: string[] = new Array<string>(H_COUNT).fill('');
  private readonly start = new Int32Array(H_COUNT);
  private readonly end = new Int32Array(H_COUNT);
  /**
   * Every Contact line is checked. The first is in the per-id slots above; the others
   * (rare) in these, the first `moreContacts` entries of which belong to this message.
   */
  private readonly contactSrc: string[] = [];
  private readonly contactRange: number[] = [];
  private moreContacts = 0;
  /** The head text being read, and its octets: character i of `text` is octet base + i. */
  private text = '';
  private octets: Buffer | null = null;
  private base = 0;
  /** Where the value last handed out by bytes() lies in the buffer it returned. */
  private from = 0;
  private to = 0;

  /** Starts a message whose head is `text`, with its octets (see bytes.ts) in `octets` from `base` on. */
  reset(text: string, octets: Buffer, base: number): void {
    // A loop, not fill(): ten stores are cheaper than a call into the runtime.
    const count = this.count;
    for (let id = 0; id < H_COUNT; id++) count[id] = 0;
    this.moreContacts = 0;
    this.text = text;
    this.octets = octets;
    this.base = base;
  }

  /** Number of lines of header `id` (an H_* constant). */
  lines(id: number): number {
    return this.count[id]!;
  }

  /** Notes that the field about to be appended at `index` has its value in src[start, end). */
  record(id: number, index: number, src: string, start: number, end: number): void {
    const n = this.count[id]!;
    this.count[id] = n + 1;
    if (n === 0) {
      this.first[id] = index;
      this.src[id] = src;
      this.start[id] = start;
      this.end[id] = end;
    } else if (id === H_CONTACT) {
      const k = this.moreContacts++;
      this.contactSrc[k] = src;
      this.contactRange[2 * k] = start;
      this.contactRange[2 * k + 1] = end;
    }
  }

  /**
   * The value src[start, end) as octets for the scanners: the head's when the value is in
   * the head, else a copy (a folded value). It lies in the result at [this.from, this.to).
   */
  private bytes(src: string, start: number, end: number): Buffer {
    if (this.octets !== null && src === this.text) {
      this.from = start + this.base;
      this.to = end + this.base;
      return this.octets;
    }
    this.from = 0;
    this.to = end - start;
    return bytesOf(src, start, end);
  }

  /**
   * Runs the checks; returns the Content-Length (null when absent, -1 when unusable).
   * `method` is the request's method, null for a response or an unusable start line.
   */
  check(
    infos: readonly HeaderInfo[],
    values: readonly string[],
    problems: Problems,
    method: string | null,
  ): number | null {
    const { count, src, start, end } = this;
    for (const id of MANDATORY) if (count[id] === 0) problems.note(`Missing ${NAMES[id]} header`);
    for (const id of SINGLE) if (count[id]! > 1) problems.note(`Multiple ${NAMES[id]} headers`);

    if (count[H_VIA]! > 0) {
      // Only the top Via decides where a response goes (§18.2.2); the others are checked
      // by whoever reads them.
      const b = this.bytes(src[H_VIA]!, start[H_VIA]!, end[H_VIA]!);
      problems.viaOk = isValidTopVia(b, this.from, this.to);
      if (!problems.viaOk) problems.note('Malformed Via header');
    }
    if (count[H_CSEQ]! > 0) {
      const b = this.bytes(src[H_CSEQ]!, start[H_CSEQ]!, end[H_CSEQ]!);
      if (!scanCSeq(b, this.from, this.to)) problems.note('Malformed CSeq header');
      // §8.1.1.5: the CSeq method MUST match the request's (RFC 4475 mismatch01, mismatch02).
      else if (method !== null && !isMethod(b, FOUND.methodStart, FOUND.methodEnd, method))
        problems.note('CSeq method does not match the request method');
    }
    if (count[H_FROM]! > 0) {
      const b = this.bytes(src[H_FROM]!, start[H_FROM]!, end[H_FROM]!);
      if (!isValidNameAddrRange(b, this.from, this.to)) problems.note('Malformed From header');
    }
    if (count[H_TO]! > 0) {
      const b = this.bytes(src[H_TO]!, start[H_TO]!, end[H_TO]!);
      if (!isValidNameAddrRange(b, this.from, this.to)) problems.note('Malformed To header');
    }
    if (count[H_CALL_ID]! > 0) {
      const b = this.bytes(src[H_CALL_ID]!, start[H_CALL_ID]!, end[H_CALL_ID]!);
      if (!isValidCallId(b, this.from, this.to)) problems.note('Malformed Call-ID header');
    }
    if (method !== null && count[H_MAX_FORWARDS]! > 0) {
      // Max-Forwards = 1*DIGIT, 0..255 (§20.22; RFC 4475 scalar02).
      if (parseDigits(src[H_MAX_FORWARDS]!, start[H_MAX_FORWARDS]!, end[H_MAX_FORWARDS]!, 255) === null) {
        problems.note('Malformed Max-Forwards header');
      }
    }
    if (count[H_CONTACT]! > 0 && !this.contactsValid()) problems.note('Malformed Contact header');
    if (count[H_DATE]! > 0 && !isValidSipDate(src[H_DATE]!.slice(start[H_DATE]!, end[H_DATE]!))) {
      problems.note('Malformed Date header');
    }
    const contentLength = count[H_CONTENT_LENGTH]! > 0 ? this.contentLength(infos, values, problems) : null;
    // Let go of this message's text.
    for (let id = 0; id < H_COUNT; id++) if (count[id] !== 0) src[id] = '';
    for (let k = 0; k < this.moreContacts; k++) this.contactSrc[k] = '';
    this.text = '';
    this.octets = null;
    return contentLength;
  }

  /** Every Contact line, each a list of contact-params or "*" (§20.10). */
  private contactsValid(): boolean {
    const { src, start, end } = this;
    let b = this.bytes(src[H_CONTACT]!, start[H_CONTACT]!, end[H_CONTACT]!);
    if (!isValidContactsRange(b, this.from, this.to)) return false;
    for (let k = 0; k < this.moreContacts; k++) {
      b = this.bytes(this.contactSrc[k]!, this.contactRange[2 * k]!, this.contactRange[2 * k + 1]!);
      if (!isValidContactsRange(b, this.from, this.to)) return false;
    }
    return true;
  }

  /**
   * Content-Length = 1*DIGIT (§20.14). Repeating the same length is harmless; two
   * different ones leave the body boundary unknown (RFC 4475 mcl01).
   */
  private contentLength(infos: readonly HeaderInfo[], values: readonly string[], problems: Problems): number {
    let length = -1;
    for (let i = this.first[H_CONTENT_LENGTH]!; i < infos.length; i++) {
      if (infos[i]!.id !== H_CONTENT_LENGTH) continue;
      const value = values[i]!;
      const n = parseDigits(value, 0, value.length, MAX_CONTENT_LENGTH);
      if (n === null) {
        problems.note('Malformed Content-Length header');
        return -1;
      }
      if (length >= 0 && n !== length) {
        problems.note('Conflicting Content-Length headers');
        return -1;
      }
      length = n;
    }
    return length;
  }
}

/** True when b[start, end) spells `method` (case-sensitive, §7.1). */
function isMethod(b: Buffer, start: number, end: number, method: string): boolean {
  if (end - start !== method.length) return false;
  for (let i = 0; i < method.length; i++) if (b[start + i] !== method.charCodeAt(i)) return false;
  return true;
}

/**
 * callid = word [ "@" word ] (§25.1), checked only for emptiness and whitespace: deployed
 * UAs put characters outside "word" (e.g. the "=" of base64) into Call-IDs.
 */
function isValidCallId(b: Buffer, start: number, end: number): boolean {
  if (end <= start) return false;
  // A loop over the range: indexOf would scan the rest of the head for a tab that is not there.
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === SP || c === HT) return false;
  }
  return true;
}
