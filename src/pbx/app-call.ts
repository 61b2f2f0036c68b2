/**
 * A call the PBX answers itself and hands to an application (the echo test, the
 * key read-back test; later IVR menus and voicemail): the caller's leg only, its
 * media on one relay endpoint. The app plays, listens for keys and hangs up
 * through this object; the phone's BYE, re-INVITEs (hold), INFO keys and ACK are
 * handled here. Every way the call ends goes through `end()`, which closes the
 * CDR row with the leg's quality.
 */
import type { Logger } from 'pino';
import { parseDtmfInfo } from '../media/dtmf/info.js';
import type { MediaEndpoint, PlaybackResult } from '../media/engine.js';
import type { RecordingSummary, ToneRequest } from '../media/protocol.js';
import { makeResponse, reasonPhrase, stableTag } from '../sip/build.js';
import { contactFor, Dialog } from '../sip/dialog.js';
import type { SipRequest, SipResponse } from '../sip/message/index.js';
import type { InviteServerTransaction } from '../sip/transaction/ist.js';
import type { ServerTransaction } from '../sip/transaction/layer.js';
import type { Destination } from '../sip/transaction/types.js';
import type { ActiveCall, CallContext, CallParty } from './call.js';
import { CallMedia, type CallQuality, SDP_TYPE, sdpOf, srtpToward } from './call-media.js';
import { CallRecord } from './call-record.js';
import { KeyBuffer } from './key-buffer.js';
import { type OkRetransmission, retransmitOk } from './ok-retransmit.js';

/** What an application sees of its call. */
export interface AppSession {
  readonly caller: CallParty;
  /** Prompt language of the caller's tenant. */
  readonly language: string;
  readonly log: Logger;
  readonly ended: boolean;
  /** Resolves when the call is over, whoever ended it. */
  readonly hungUp: Promise<void>;
  play(files: string[], opts?: { bargeIn?: boolean }): Promise<PlaybackResult>;
  tone(tone: ToneRequest, opts?: { bargeIn?: boolean }): Promise<PlaybackResult>;
  /** The next key pressed (RFC 4733 or SIP INFO), or null after `timeoutMs` or at hang-up. */
  nextDigit(timeoutMs: number): Promise<string | null>;
  /** Sends the caller's own audio straight back (echo test). */
  echo(): void;
  /** Records the caller into a WAV at `path` (greetings); resolves when the file is in place. */
  record(
    path: string,
    opts: { maxDurationMs: number; silence?: { afterMs: number } },
  ): Promise<{ summary?: RecordingSummary; error?: string }>;
  /** Ends a running recording (the caller pressed #). */
  stopRecording(): void;
  /** Puts the caller into a conference room (the app must have asked for `room` when answering). */
  joinConference(opts?: { muted?: boolean }): void;
  muteInConference(muted: boolean): void;
  hangup(): void;
}

export type App = ((session: AppSession) => Promise<void>) & {
  /** The conference room this app puts callers in, named per tenant: their endpoint is opened on its worker. */
  room?: (tenantId: string) => string;
};

export class AppCall implements ActiveCall, AppSession {
  state: 'ringing' | 'answered' | 'ended' = 'ringing';
  private readonly tag: string;
  private dialog: Dialog | null = null;
  private media: CallMedia | null = null;
  private okRetransmit: OkRetransmission | null = null;
  private readonly cdr: CallRecord;
  /** Keys pressed and not yet taken by the app, and the app waiting for one. */
  private keys!: KeyBuffer;
  private room: string | null = null;
  private markEnded!: () => void;
  readonly hungUp = new Promise<void>((resolve) => {
    this.markEnded = resolve;
  });

  constructor(
    private readonly ctx: CallContext,
    readonly invite: SipRequest,
    private readonly tx: InviteServerTransaction,
    private readonly source: Destination,
    readonly caller: CallParty,
    readonly callee: CallParty,
    readonly language: string,
    private readonly codecs: readonly string[],
    private readonly app: App,
  ) {
    this.tag = stableTag(invite);
    this.keys = new KeyBuffer(ctx.clock);
    this.cdr = CallRecord.of(ctx, invite, caller, callee);
  }

  get log(): Logger {
    return this.ctx.log;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Answers with the relay's SDP, then runs the app until it or the caller hangs up. */
  async start(): Promise<void> {
    const engine = this.ctx.media;
    if (!engine) {
      this.refuse(503, 'Media Unavailable');
      return;
    }
    this.room = this.app.room?.(this.caller.tenantId) ?? null;
    // Not answered before its row is written (a node killed after the 200 loses no CDR).
    const recorded = this.cdr.recorded();
    const opened = await CallMedia.open(engine, sdpOf(this.invite), this.codecs, {
      callee: false,
      webrtc: this.ctx.webrtc,
      srtp: srtpToward(engine, this.source.transport),
      ...(this.room ? { room: this.room } : {}),
    });
    await recorded;
    if (this.state === 'ended') {
      if (opened.ok) await opened.media.close();
      return;
    }
    if (!opened.ok) {
      const r = opened.refusal;
      this.refuse(r.status, r.reason, r.warning);
      return;
    }
    const media = opened.media;
    this.media = media;
    media.caller.on((e) => {
      if (e.type === 'dtmf' && e.phase === 'end') this.key(e.digit);
    });
    const sdp = media.forCaller(true);
    const ok = makeResponse(this.invite, 200, {
      toTag: this.tag,
      headers: [
        ['Contact', contactFor(this.ctx.localFor(this.source))],
        ...(sdp ? ([['Content-Type', SDP_TYPE]] as [string, string][]) : []),
      ],
      body: sdp ? Buffer.from(sdp) : Buffer.alloc(0),
    });
    media.answerSent('A');
    this.dialog = Dialog.asUas(this.invite, this.tag, this.source, this.ctx.localFor(this.source));
    if (this.dialog) this.ctx.bindDialog(this.dialog.key, this, 'A');
    this.state = 'answered';
    this.tx.respond(ok);
    this.okRetransmit = retransmitOk(this.ctx, ok, this.source, () => this.end('failed', 'system'));
    this.cdr.answered(new Date());
    this.ctx.changed(this);
    try {
      await this.app(this);
    } catch (e) {
      this.ctx.log.error({ err: e }, 'application failed');
    }
    this.hangup();
  }

  private refuse(status: number, reason: string, warning: string | null = null): void {
    this.tx.respond(
      makeResponse(this.invite, status, {
        toTag: this.tag,
        reason,
        headers: warning ? [['Warning', warning]] : [],
      }),
    );
    this.end(status === 503 ? 'failed' : 'rejected', 'system', status);
  }

  /** A prompt playing that a key may interrupt. */
  private bargeInPlay: Promise<PlaybackResult> | null = null;

  private key(digit: string): void {
    this.keys.push(digit);
  }

  // --- AppSession ---

  play(files: string[], opts: { bargeIn?: boolean } = {}): Promise<PlaybackResult> {
    if (!this.media || this.ended) return Promise.resolve({ end: 'closed' });
    return this.track(this.media.caller.play({ files }, opts), opts);
  }

  tone(tone: ToneRequest, opts: { bargeIn?: boolean } = {}): Promise<PlaybackResult> {
    if (!this.media || this.ended) return Promise.resolve({ end: 'closed' });
    return this.track(this.media.caller.play({ tone }, opts), opts);
  }

  /** Keys sent as SIP INFO never reach the relay: a barge-in play is stopped by them here. */
  private track(play: Promise<PlaybackResult>, opts: { bargeIn?: boolean }): Promise<PlaybackResult> {
    const mine = opts.bargeIn === true ? play : null;
    this.bargeInPlay = mine;
    void play.then(() => {
      if (this.bargeInPlay === mine) this.bargeInPlay = null;
    });
    return play;
  }

  nextDigit(timeoutMs: number): Promise<string | null> {
    return this.keys.next(timeoutMs);
  }

  record(
    path: string,
    opts: { maxDurationMs: number; silence?: { afterMs: number } },
  ): Promise<{ summary?: RecordingSummary; error?: string }> {
    if (!this.media || this.ended) return Promise.resolve({ error: 'call ended' });
    return this.media.caller.record(path, { mode: 'single', ...opts });
  }

  stopRecording(): void {
    this.media?.caller.stopRecording('dtmf');
  }

  echo(): void {
    const ep: MediaEndpoint | undefined = this.media?.caller;
    ep?.echo();
  }

  joinConference(opts: { muted?: boolean } = {}): void {
    if (this.room && this.media) this.media.caller.joinConference(this.room, opts);
  }

  muteInConference(muted: boolean): void {
    this.media?.caller.muteInConference(muted);
  }

  /** The call's record id: what live views, events and the call-control API name it by. */
  get recordId(): string {
    return this.cdr.callId;
  }

  /** The app (or we) end the call: BYE to the caller. */
  hangup(): void {
    if (this.state === 'ended') return;
    if (this.dialog)
      this.ctx.layer.sendRequest(this.dialog.request('BYE'), this.dialog.dest, {
        response: () => {},
        timeout: () => {},
      });
    this.end('normal', 'system');
  }

  // --- ActiveCall ---

  inDialog(_side: 'A' | 'B', req: SipRequest, tx: ServerTransaction | null): void {
    const d = this.dialog;
    if (!d || this.state === 'ended') {
      tx?.respond(makeResponse(req, 481));
      return;
    }
    if (req.method === 'ACK') {
      this.okRetransmit?.stop();
      this.media?.ackFrom('A', sdpOf(req));
      return;
    }
    if (!d.accept(req)) {
      tx?.respond(makeResponse(req, 500, { reason: 'CSeq Out of Order' }));
      return;
    }
    if (!tx) return;
    switch (req.method) {
      case 'BYE':
        tx.respond(makeResponse(req, 200));
        this.end('normal', 'caller');
        return;
      case 'INVITE':
      case 'UPDATE': {
        // Hold, resume, a new address: the relay answers; no SDP asks for our offer (§14.2).
        const offer = sdpOf(req);
        const media = this.media!;
        const outcome =
          offer === null
            ? req.method === 'INVITE'
              ? { ok: true as const, sdp: media.offerAgain('A') }
              : null
            : media.answerLocally('A', offer);
        if (outcome && !outcome.ok) {
          const r = outcome.refusal;
          tx.respond(
            makeResponse(req, r.status, {
              reason: r.reason,
              headers: r.warning ? [['Warning', r.warning]] : [],
            }),
          );
          return;
        }
        tx.respond(this.withSdp(req, outcome?.sdp ?? null, d));
        return;
      }
      case 'INFO': {
        // Keys as SIP INFO (application/dtmf-relay or application/dtmf).
        const ct = req.headers.get('Content-Type') ?? '';
        const info = parseDtmfInfo(ct, req.body);
        if (info.ok) {
          this.key(info.dtmf.signal);
          if (this.bargeInPlay) this.media?.caller.stopPlayback();
          tx.respond(makeResponse(req, 200));
        } else
          tx.respond(
            makeResponse(req, 415, { headers: [['Accept', 'application/dtmf-relay, application/dtmf']] }),
          );
        return;
      }
      default:
        tx.respond(makeResponse(req, req.method === 'OPTIONS' ? 200 : 405));
    }
  }

  private withSdp(req: SipRequest, sdp: string | null, d: Dialog): SipResponse {
    const headers: [string, string][] = [['Contact', contactFor(d.local)]];
    if (sdp) headers.push(['Content-Type', SDP_TYPE]);
    return makeResponse(req, 200, {
      reason: reasonPhrase(200),
      headers,
      body: sdp ? Buffer.from(sdp) : Buffer.alloc(0),
    });
  }

  cancelledByCaller(): void {
    if (this.state !== 'ringing') return;
    this.tx.respond(makeResponse(this.invite, 487, { toTag: this.tag }));
    this.end('cancelled', 'caller', 487);
  }

  abort(): void {
    if (this.state === 'ringing') this.refuse(500, 'Server Internal Error');
    else this.hangup();
  }

  private end(
    cause: string,
    hangupBy: 'caller' | 'callee' | 'system',
    sipStatus: number | null = null,
  ): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.okRetransmit?.stop();
    if (this.dialog) this.ctx.unbindDialog(this.dialog.key);
    this.keys.close();
    this.markEnded();
    const at = new Date();
    const quality: Promise<CallQuality | null> = this.media ? this.media.close() : Promise.resolve(null);
    this.cdr.ended(
      at,
      quality.then((q) => ({ cause, sipStatus, hangupBy, legs: [], quality: q })),
    );
    this.ctx.ended(this);
  }

  async flushed(): Promise<void> {
    await this.cdr.flushed();
  }
}
