/**
 * The checks a message must pass before anything downstream trusts it (RFC 3261 §8.1.1,
 * §8.2.6.2, §18.3): the headers a transaction and a response need (top Via, From, To,
 * Call-ID, CSeq), Max-Forwards and Content-Length ranges, and Contact and Date, whose
 * RFC 4475 malformations (regbadct, baddate) must be caught at the door.
 *
 * The typed parsers run in validate-only mode, allocating nothing, over the decoded head
 * text itself: scanning one flat string is markedly faster than scanning the sliced
 * substrings the header values are.
 */
import { parseDigits } from './charset.js';
import { scanCSeq } from './cseq.js';
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
} from './header-names.js';
import type { HeaderField } from './headers.js';
import { nextComma } from './list.js';
import { isValidContactsRange, isValidNameAddrRange } from './name-addr.js';
import type { Problems } from './problems.js';
import { isValidSipDate } from './sip-date.js';
import { isValidViaRange } from './via.js';

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
  /** Index of the first line and number of lines, per H_* id. */
  private readonly first = new Int32Array(H_COUNT);
  private readonly count = new Int32Array(H_COUNT);
  /** The first value of each H_* header lies in src[id] between start[id] and end[id]. */
  private readonly src: string[] = new Array<string>(H_COUNT).fill('');
  private readonly start = new Int32Array(H_COUNT);
  private readonly end = new Int32Array(H_COUNT);
  /** Every Contact line is checked: its source, and start/end pairs. */
  private readonly contactSrc: string[] = [];
  private readonly contactRange: number[] = [];

  reset(): void {
    this.first.fill(-1);
    this.count.fill(0);
    this.contactSrc.length = 0;
    this.contactRange.length = 0;
  }

  /** Number of lines of header `id` (an H_* constant). */
  lines(id: number): number {
    return this.count[id]!;
  }

  /** Notes that the field about to be appended at `index` has its value in src[start, end). */
  record(id: number, index: number, src: string, start: number, end: number): void {
    if (this.count[id] === 0) {
      this.first[id] = index;
      this.src[id] = src;
      this.start[id] = start;
      this.end[id] = end;
    }
    this.count[id] = this.count[id]! + 1;
    if (id === H_CONTACT) {
      this.contactSrc.push(src);
      this.contactRange.push(start, end);
    }
  }

  /**
   * Runs the checks; returns the Content-Length (null when absent, -1 when unusable).
   * `method` is the request's method, null for a response or an unusable start line.
   */
  check(fields: readonly HeaderField[], problems: Problems, method: string | null): number | null {
    const { count, src, start, end } = this;
    for (const id of MANDATORY) if (count[id] === 0) problems.note(`Missing ${NAMES[id]} header`);
    for (const id of SINGLE) if (count[id]! > 1) problems.note(`Multiple ${NAMES[id]} headers`);

    if (count[H_VIA]! > 0) {
      // Only the top Via decides where a response goes (§18.2.2); the others are checked
      // by whoever reads them.
      const s = src[H_VIA]!;
      problems.viaOk = isValidViaRange(s, start[H_VIA]!, nextComma(s, start[H_VIA]!, end[H_VIA]!));
      if (!problems.viaOk) problems.note('Malformed Via header');
    }
    if (count[H_CSEQ]! > 0) {
      const cseq = scanCSeq(src[H_CSEQ]!, start[H_CSEQ]!, end[H_CSEQ]!);
      if (cseq === null) problems.note('Malformed CSeq header');
      // §8.1.1.5: the CSeq method MUST match the request's (RFC 4475 mismatch01, mismatch02).
      else if (method !== null && cseq.method !== method)
        problems.note('CSeq method does not match the request method');
    }
    if (count[H_FROM]! > 0 && !isValidNameAddrRange(src[H_FROM]!, start[H_FROM]!, end[H_FROM]!)) {
      problems.note('Malformed From header');
    }
    if (count[H_TO]! > 0 && !isValidNameAddrRange(src[H_TO]!, start[H_TO]!, end[H_TO]!)) {
      problems.note('Malformed To header');
    }
    if (count[H_CALL_ID]! > 0 && !isValidCallId(src[H_CALL_ID]!, start[H_CALL_ID]!, end[H_CALL_ID]!)) {
      problems.note('Malformed Call-ID header');
    }
    if (method !== null && count[H_MAX_FORWARDS]! > 0) {
      // Max-Forwards = 1*DIGIT, 0..255 (§20.22; RFC 4475 scalar02).
      if (parseDigits(src[H_MAX_FORWARDS]!, start[H_MAX_FORWARDS]!, end[H_MAX_FORWARDS]!, 255) === null) {
        problems.note('Malformed Max-Forwards header');
      }
    }
    for (let i = 0; i < this.contactSrc.length; i++) {
      if (
        !isValidContactsRange(this.contactSrc[i]!, this.contactRange[2 * i]!, this.contactRange[2 * i + 1]!)
      ) {
        problems.note('Malformed Contact header');
        break;
      }
    }
    if (count[H_DATE]! > 0 && !isValidSipDate(src[H_DATE]!.slice(start[H_DATE]!, end[H_DATE]!))) {
      problems.note('Malformed Date header');
    }
    const contentLength = count[H_CONTENT_LENGTH]! > 0 ? this.contentLength(fields, problems) : null;
    // Let go of this message's text.
    src.fill('');
    this.contactSrc.length = 0;
    return contentLength;
  }

  /**
   * Content-Length = 1*DIGIT (§20.14). Repeating the same length is harmless; two
   * different ones leave the body boundary unknown (RFC 4475 mcl01).
   */
  private contentLength(fields: readonly HeaderField[], problems: Problems): number {
    let length = -1;
    for (let i = this.first[H_CONTENT_LENGTH]!; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.info.id !== H_CONTENT_LENGTH) continue;
      const n = parseDigits(f.value, 0, f.value.length, MAX_CONTENT_LENGTH);
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

/**
 * callid = word [ "@" word ] (§25.1), checked only for emptiness and whitespace: deployed
 * UAs put characters outside "word" (e.g. the "=" of base64) into Call-IDs.
 */
function isValidCallId(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  // A loop over the range: indexOf would scan the rest of the head for a tab that is not there.
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09) return false;
  }
  return true;
}
