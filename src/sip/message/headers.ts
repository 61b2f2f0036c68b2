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

function checkedInfo(name: string, value: string): HeaderInfo {
  if (!isToken(name)) throw new TypeError(`invalid SIP header name: ${JSON.stringify(name)}`);
  // A CR or LF in a value would start a new header line on the wire (header injection).
  if (/[\r\n]/.test(value)) throw new TypeError(`SIP header value of ${name} contains CR or LF`);
  return headerInfo(name);
}

export class Headers {
  /**
   * The header lines in wire order: line i is infos[i] (which header) with the raw value
   * values[i]. Two arrays rather than an object per line: the parser makes a dozen lines
   * per message, and the arrays are only ever replaced or grown together.
   */
  private infos: HeaderInfo[];
  private values: string[];

  /** `init`: [name, value] pairs in wire order, e.g. `new Headers([['Via', '...'], ['To', '...']])`. */
  constructor(init?: Iterable<readonly [string, string]>) {
    this.infos = [];
    this.values = [];
    if (init !== undefined) for (const [name, value] of init) this.append(name, value);
  }

  /** @internal The parser's constructor: lines already validated, arrays taken over. */
  static fromLines(infos: HeaderInfo[], values: string[]): Headers {
    const h = new Headers();
    h.infos = infos;
    h.values = values;
    return h;
  }

  /** @internal Read access for the serializer: which header each line is. */
  static infosOf(headers: Headers): readonly HeaderInfo[] {
    return headers.infos;
  }

  /** @internal Read access for the serializer: the raw value of each line. */
  static valuesOf(headers: Headers): readonly string[] {
    return headers.values;
  }

  /**
   * The first value of a header, or undefined. For list headers (Via, Contact, Route,
   * Supported, ...) this is the first element of the first line, so
   * `get('Via')` is the top Via even when one line carries several.
   */
  get(name: string): string | undefined {
    const info = headerInfo(name);
    const { infos, values } = this;
    for (let i = 0; i < infos.length; i++) {
      if (infos[i]!.key !== info.key) continue;
      if (!infos[i]!.list) return values[i];
      const first = firstListElement(values[i]!);
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
    const { infos, values } = this;
    const out: string[] = [];
    for (let i = 0; i < infos.length; i++) {
      if (infos[i]!.key !== info.key) continue;
      if (infos[i]!.list) {
        for (const element of splitList(values[i]!)) out.push(element);
      } else {
        out.push(values[i]!);
      }
    }
    return out;
  }

  has(name: string): boolean {
    return this.indexOf(headerInfo(name).key) >= 0;
  }

  /** Replaces every line of this header by one, at the position of the first (else at the end). */
  set(name: string, value: string): void {
    const info = checkedInfo(name, value);
    const at = this.indexOf(info.key);
    if (at < 0) {
      this.infos.push(info);
      this.values.push(value);
      return;
    }
    this.keep((i) => i < at || this.infos[i]!.key !== info.key);
    this.infos.splice(at, 0, info);
    this.values.splice(at, 0, value);
  }

  /** Adds a line after all others. */
  append(name: string, value: string): void {
    this.infos.push(checkedInfo(name, value));
    this.values.push(value);
  }

  /**
   * Adds a line on top of the existing lines of this header (or first of all when there
   * are none): what a proxy does with Via (§16.6 step 8) and Record-Route (§16.6 step 4).
   */
  prepend(name: string, value: string): void {
    const info = checkedInfo(name, value);
    const at = Math.max(this.indexOf(info.key), 0);
    this.infos.splice(at, 0, info);
    this.values.splice(at, 0, value);
  }

  /**
   * Replaces the first element of this header, leaving the others where they are (or adds
   * a line when there is none): a server stamping received/rport on the top Via (§18.2.1).
   */
  replaceFirst(name: string, value: string): void {
    const info = checkedInfo(name, value);
    const at = this.indexOf(info.key);
    if (at < 0) {
      this.infos.push(info);
      this.values.push(value);
      return;
    }
    const line = this.values[at]!;
    // A list line may carry several elements ("Via: a, b"): the rest stay on it.
    this.values[at] =
      info.list && line.includes(',') ? [value, ...splitList(line).slice(1)].join(', ') : value;
  }

  /** Removes every line of this header. */
  delete(name: string): void {
    const key = headerInfo(name).key;
    this.keep((i) => this.infos[i]!.key !== key);
  }

  /** [canonical name, raw value] per line, in wire order. */
  entries(): [string, string][] {
    return this.infos.map((info, i) => [info.name, this.values[i]!]);
  }

  /** An independent copy (the lines themselves are immutable, so they are shared). */
  clone(): Headers {
    return Headers.fromLines(this.infos.slice(), this.values.slice());
  }

  /** Index of the first line of the header whose key is `key`, or -1. */
  private indexOf(key: string): number {
    return this.infos.findIndex((info) => info.key === key);
  }

  /** Keeps only the lines whose index passes `test`, as new arrays. */
  private keep(test: (i: number) => boolean): void {
    const infos: HeaderInfo[] = [];
    const values: string[] = [];
    for (let i = 0; i < this.infos.length; i++) {
      if (!test(i)) continue;
      infos.push(this.infos[i]!);
      values.push(this.values[i]!);
    }
    this.infos = infos;
    this.values = values;
  }
}
