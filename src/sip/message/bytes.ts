/**
 * The grammar scanners (header names, URIs, name-addr, Via, parameters, CSeq) read
 * octets, not string characters: V8 reads a typed array element several times faster
 * than a string's charCodeAt(), which must dispatch on the string's representation at
 * every read. The message parser hands them the datagram itself when the decoded head
 * lines up with its octets (ASCII, or decoded as Latin-1); anything else is copied first.
 *
 * Every class of the §25.1 grammar is ASCII: a character at or above U+0080 is only
 * allowed in quoted-strings, and there every such character is allowed alike. So a copy
 * that writes one octet per UTF-16 code unit, at or above 0x80 for anything that is not
 * ASCII, gives the scanners exactly the verdicts they would give on the text, at the
 * same indices.
 *
 * Scanners that build results slice them out of the text: byte `i` is the character
 * `i + source.shift` of `source.text`.
 */

/** Where the bytes being scanned came from, for the scanners that build results. */
export const source = { text: '', shift: 0 };

/** The text of bytes [from, to) being scanned. */
export function sourceSlice(from: number, to: number): string {
  return source.text.slice(from + source.shift, to + source.shift);
}

/** Longest text whose copy buffers are kept for the next copies. */
const KEEP_UNITS = 8192;

/**
 * Copies text into a reused buffer as one octet per UTF-16 code unit. Parsing is
 * synchronous and each copy is scanned before the next one is made.
 */
class Transcoder {
  private out = Buffer.alloc(0);
  /** The same memory as `out`: assigning a UTF-16 code unit to it clamps it to 0..0xFF. */
  private clamped = new Uint8ClampedArray(0);
  /** UTF-16LE staging area and its code-unit view. */
  private wide = Buffer.alloc(0);
  private units = new Uint16Array(0);

  constructor(size: number) {
    this.grow(size);
  }

  private grow(size: number): void {
    // UTF-8 takes at most 3 octets per code unit: room for the native write below.
    const outMemory = new ArrayBuffer(size * 3);
    this.out = Buffer.from(outMemory);
    this.clamped = new Uint8ClampedArray(outMemory);
    const wideMemory = new ArrayBuffer(size * 2);
    this.wide = Buffer.from(wideMemory);
    this.units = new Uint16Array(wideMemory);
  }

  /** text[start, end) at [0, end - start) of the returned buffer, valid until the next call. */
  copy(text: string, start: number, end: number): Buffer {
    const n = end - start;
    if (this.out.length < n * 3) {
      // A rare long text gets buffers of its own, so that it does not pin memory for good.
      if (n > KEEP_UNITS) return new Transcoder(n).copy(text, start, end);
      this.grow(Math.max(n, (this.out.length / 3) * 2));
    }
    const out = this.out;
    if (n <= 24) {
      // Short values (a Request-URI, a header parameter): cheaper than the calls below.
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(start + i);
        out[i] = c < 0x80 ? c : 0xff;
      }
      return out;
    }
    const part = start === 0 && end === text.length ? text : text.slice(start, end);
    // UTF-8 writes one octet per character exactly when every character is ASCII.
    if (out.write(part, 0, 'utf8') === n) return out;
    // Otherwise: the exact code units, narrowed natively with clamping, so that every
    // non-ASCII character stays at or above 0x80 (truncating could turn U+0430 into "0").
    this.wide.write(part, 0, 'utf16le');
    this.clamped.set(this.units.subarray(0, n));
    return out;
  }
}

const VALUES = new Transcoder(1024);
const HEADS = new Transcoder(2048);

/**
 * text[start, end) as octets at [0, end - start) of a shared buffer (valid until the next
 * call); also makes `text` the source of what the scanners build.
 */
export function bytesOf(text: string, start: number, end: number): Buffer {
  source.text = text;
  source.shift = start;
  return VALUES.copy(text, start, end);
}

/** A decoded head that does not line up with its octets, as octets: see parseHead(). */
export function headBytesOf(text: string): Buffer {
  return HEADS.copy(text, 0, text.length);
}
