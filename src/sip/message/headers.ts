/**
 * The header section of a message: an ordered multimap of raw values.
 *
 * Values are kept as received (unfolded and trimmed, §7.3.1) and parsed only when asked
 * (parseVia, parseNameAddr, ...), which is what keeps parsing a whole message cheap.
 * Names are case-insensitive and compact forms are the same header as their full name
 * (§7.3.3); `entries()` gives canonical names in wire order.
 */
import { isToken } from './charset.js';
import { type HeaderInfo, headerInfo } from './header-names.js';
import { firstListElement, splitList } from './list.js';

/** One header line: which header, and its raw value. Never mutated once created. */
export interface HeaderField {
  readonly info: HeaderInfo;
  readonly value: string;
}

function checkedField(name: string, value: string): HeaderField {
  if (!isToken(name)) throw new TypeError(`invalid SIP header name: ${JSON.stringify(name)}`);
  // A CR or LF in a value would start a new header line on the wire (header injection).
  if (/[\r\n]/.test(value)) throw new TypeError(`SIP header value of ${name} contains CR or LF`);
  return { info: headerInfo(name), value };
}

export class Headers {
  private fields: HeaderField[];

  /** `init`: [name, value] pairs in wire order, e.g. `new Headers([['Via', '...'], ['To', '...']])`. */
  constructor(init?: Iterable<readonly [string, string]>) {
    this.fields = [];
    if (init !== undefined) for (const [name, value] of init) this.fields.push(checkedField(name, value));
  }

  /** @internal The parser's constructor: fields already validated, array taken over. */
  static fromFields(fields: HeaderField[]): Headers {
    const h = new Headers();
    h.fields = fields;
    return h;
  }

  /** @internal Read access for the serializer and the validating parser. */
  static fieldsOf(headers: Headers): readonly HeaderField[] {
    return headers.fields;
  }

  /**
   * The first value of a header, or undefined. For list headers (Via, Contact, Route,
   * Supported, ...) this is the first element of the first line, so
   * `get('Via')` is the top Via even when one line carries several.
   */
  get(name: string): string | undefined {
    const info = headerInfo(name);
    for (const f of this.fields) {
      if (f.info.key !== info.key) continue;
      if (!f.info.list) return f.value;
      const first = firstListElement(f.value);
      if (first !== undefined) return first;
    }
    return undefined;
  }

  /**
   * Every value of a header in wire order. Lines of list headers are split into their
   * elements (respecting quotes and <...>); other headers, including the authentication
   * headers whose values contain commas, give one value per line.
   */
  getAll(name: string): string[] {
    const info = headerInfo(name);
    const out: string[] = [];
    for (const f of this.fields) {
      if (f.info.key !== info.key) continue;
      if (f.info.list) {
        for (const element of splitList(f.value)) out.push(element);
      } else {
        out.push(f.value);
      }
    }
    return out;
  }

  has(name: string): boolean {
    const key = headerInfo(name).key;
    return this.fields.some((f) => f.info.key === key);
  }

  /** Replaces every line of this header by one, at the position of the first (else at the end). */
  set(name: string, value: string): void {
    const field = checkedField(name, value);
    const key = field.info.key;
    const at = this.fields.findIndex((f) => f.info.key === key);
    if (at < 0) {
      this.fields.push(field);
      return;
    }
    this.fields = this.fields.filter((f, i) => i < at || f.info.key !== key);
    this.fields.splice(at, 0, field);
  }

  /** Adds a line after all others. */
  append(name: string, value: string): void {
    this.fields.push(checkedField(name, value));
  }

  /**
   * Adds a line on top of the existing lines of this header (or first of all when there
   * are none): what a proxy does with Via (§16.6 step 8) and Record-Route (§16.6 step 4).
   */
  prepend(name: string, value: string): void {
    const field = checkedField(name, value);
    const at = this.fields.findIndex((f) => f.info.key === field.info.key);
    this.fields.splice(Math.max(at, 0), 0, field);
  }

  /** Removes every line of this header. */
  delete(name: string): void {
    const key = headerInfo(name).key;
    this.fields = this.fields.filter((f) => f.info.key !== key);
  }

  /** [canonical name, raw value] per line, in wire order. */
  entries(): [string, string][] {
    return this.fields.map((f) => [f.info.name, f.value]);
  }

  /** An independent copy (the lines themselves are immutable, so they are shared). */
  clone(): Headers {
    return Headers.fromFields(this.fields.slice());
  }
}
