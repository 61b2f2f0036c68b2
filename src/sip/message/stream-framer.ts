/**
 * StreamFramer: cuts a TCP / TLS byte stream into SIP messages (RFC 3261 §18.3) and
 * recognises RFC 5626 keep-alives between them.
 *
 * On a stream, Content-Length is the only way to find the end of a body, so it is
 * mandatory (§18.3, §20.14); a message without it cannot be framed and nothing after
 * it can be trusted: that error is fatal, and so is one that would need more than
 * `maxMessageSize` bytes (refused before a byte of the body is buffered). A message
 * that is malformed but has a usable Content-Length is skipped with a non-fatal error,
 * and framing continues with the next one.
 *
 * Keep-alives (RFC 5626 §3.5.1, §4.4.1): at a message boundary a double CRLF is a
 * "ping", to be answered with a single CRLF ("pong"); a single CRLF is such a pong (or a
 * stray CRLF, which §7.5 says to ignore). A lone CRLF is reported once the next byte
 * shows it is not the first half of a ping.
 *
 * The framer is a pure core: push() bytes, get events; the socket adapter writes pongs,
 * answers errors and closes connections.
 */
import { type Failure, parseHead } from './head-parser.js';
import type { ParseError, SipMessage } from './types.js';

export type FramerEvent =
  | { type: 'message'; message: SipMessage }
  | { type: 'error'; error: ParseError; fatal: boolean }
  | { type: 'keepalive'; pong: boolean };

export interface StreamFramerOptions {
  /** Largest message (header section + body) accepted; default 64 KiB. */
  maxMessageSize?: number;
  /** Largest header section accepted; default maxMessageSize. */
  maxHeaderBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const INITIAL_CAPACITY = 4096;

interface AwaitingBody {
  /** null when the start line was unusable: the message is skipped. */
  message: SipMessage | null;
  failure: Failure | null;
  canRespond: boolean;
  length: number;
}

function toError(failure: Failure, canRespond: boolean, message: SipMessage | null): ParseError {
  const error: ParseError = { reason: failure.reason, status: failure.status, canRespond };
  if (message !== null && message.kind === 'request') error.partial = message;
  return error;
}

export class StreamFramer {
  private readonly maxMessageSize: number;
  private readonly maxHeaderBytes: number;
  /** Unconsumed bytes live in buf[start, end): a growable queue, amortised O(1) per byte. */
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Where to resume the search for CRLFCRLF (relative to start), so bytes are scanned once. */
  private scanFrom = 0;
  private awaiting: AwaitingBody | null = null;
  private closed = false;

  constructor(opts?: StreamFramerOptions) {
    this.maxMessageSize = opts?.maxMessageSize ?? 64 * 1024;
    this.maxHeaderBytes = Math.min(opts?.maxHeaderBytes ?? this.maxMessageSize, this.maxMessageSize);
  }

  /** Bytes held waiting for the rest of a message (for metrics and tests). */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /**
   * Feeds bytes; returns what they completed, in order. After a fatal error the framer
   * is spent and returns no further events. Never throws.
   */
  push(chunk: Buffer): FramerEvent[] {
    if (this.closed) return [];
    const events: FramerEvent[] = [];
    try {
      this.append(chunk);
      this.drain(events);
    } catch {
      this.fail(events, { reason: 'Unframeable stream', status: 400 }, false, null);
    }
    return events;
  }

  private drain(events: FramerEvent[]): void {
    for (;;) {
      const available = this.end - this.start;

      if (this.awaiting !== null) {
        const pending = this.awaiting;
        if (available < pending.length) return;
        // Copied out: the queue's memory is reused for the following bytes.
        if (pending.message !== null) {
          pending.message.body = Buffer.from(this.buf.subarray(this.start, this.start + pending.length));
        }
        this.consume(pending.length);
        this.awaiting = null;
        if (pending.failure !== null || pending.message === null) {
          const failure = pending.failure ?? { reason: 'Malformed start line', status: 400 };
          events.push({
            type: 'error',
            error: toError(failure, pending.canRespond, pending.message),
            fatal: false,
          });
        } else {
          events.push({ type: 'message', message: pending.message });
        }
        continue;
      }

      if (available === 0) return;
      const b = this.buf;
      const s = this.start;
      if (b[s] === CR) {
        if (available < 2) return;
        if (b[s + 1] === LF) {
          if (available < 3) return;
          if (b[s + 2] === CR) {
            if (available < 4) return;
            if (b[s + 3] === LF) {
              this.consume(4);
              events.push({ type: 'keepalive', pong: true });
              continue;
            }
          }
          this.consume(2);
          events.push({ type: 'keepalive', pong: false });
          continue;
        }
      }

      const at = b.subarray(s, this.end).indexOf(CRLFCRLF, this.scanFrom);
      if (at < 0) {
        if (available > this.maxHeaderBytes) {
          this.fail(events, { reason: 'Header section too large', status: 413 }, false, null);
          return;
        }
        this.scanFrom = Math.max(0, available - 3);
        return;
      }
      this.scanFrom = 0;
      const headLength = at + 4;
      if (headLength > this.maxHeaderBytes) {
        this.fail(events, { reason: 'Header section too large', status: 413 }, false, null);
        return;
      }
      const head = parseHead(b, s, s + at + 2, true);
      this.consume(headLength);
      const cl = head.contentLength;
      if (cl === null) {
        this.fail(
          events,
          { reason: 'Missing Content-Length (required on streams)', status: 400 },
          head.canRespond,
          head.message,
        );
        return;
      }
      if (cl < 0) {
        this.fail(
          events,
          { reason: 'Malformed Content-Length header', status: 400 },
          head.canRespond,
          head.message,
        );
        return;
      }
      if (cl > this.maxMessageSize - headLength) {
        // Refused on the header alone: the body is never buffered.
        this.fail(events, { reason: 'Message too large', status: 413 }, head.canRespond, head.message);
        return;
      }
      this.awaiting = {
        message: head.message,
        failure: head.failure,
        canRespond: head.canRespond,
        length: cl,
      };
    }
  }

  private fail(
    events: FramerEvent[],
    failure: Failure,
    canRespond: boolean,
    message: SipMessage | null,
  ): void {
    events.push({ type: 'error', error: toError(failure, canRespond, message), fatal: true });
    this.closed = true;
    this.awaiting = null;
    this.buf = Buffer.alloc(0);
    this.start = 0;
    this.end = 0;
  }

  private append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buf.length) {
      const used = this.end - this.start;
      const needed = used + chunk.length;
      if (needed <= this.buf.length) {
        // Room enough once consumed bytes are dropped (copy handles the overlap).
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2, INITIAL_CAPACITY));
        this.buf.copy(grown, 0, this.start, this.end);
        this.buf = grown;
      }
      this.start = 0;
      this.end = used;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private consume(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      // Give back a queue that grew for one large message.
      if (this.buf.length > 4 * INITIAL_CAPACITY * 16) this.buf = Buffer.alloc(0);
    }
  }
}
