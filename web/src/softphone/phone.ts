/**
 * The browser softphone: SIP.js over the PBX's secure WebSocket (/sip on the
 * portal's own origin), registering one extension with the short-lived
 * credentials GET /api/v1/auth/softphone issues. The PBX terminates WebRTC and
 * bridges the call to G.711 RTP, so to the rest of the PBX this is a desk phone.
 *
 * One call at a time: a second incoming call while busy is declined with 486,
 * as a single-line phone does. State changes go to subscribers (React reads them
 * through useSyncExternalStore).
 */

import {
  Invitation,
  Inviter,
  Registerer,
  RegistererState,
  type Session,
  SessionState,
  UserAgent,
  type Web,
} from 'sip.js';
import { wantsAutoAnswer } from './auto-answer.js';

export interface PhoneAccount {
  number: string;
  displayName: string;
  domain: string;
  username: string;
  password: string;
  /** ws(s)://host/sip */
  server: string;
}

export type Registration = 'off' | 'connecting' | 'registered' | 'failed';

export interface CallView {
  direction: 'in' | 'out';
  /** The other party's number and name as SIP showed them. */
  peer: string;
  peerName: string;
  state: 'ringing' | 'connecting' | 'talking' | 'ended';
  startedAt: number;
  answeredAt: number | null;
  muted: boolean;
  held: boolean;
  /** Why it ended, when it has ("busy", "declined", …): shown for a moment. */
  endReason: string | null;
  /** A transfer asked for by this phone, and how it goes (the PBX reports in NOTIFYs). */
  transfer: TransferView | null;
}

export interface TransferView {
  target: string;
  status: 'trying' | 'ringing' | 'done' | 'failed';
  /** The target's final answer when it failed ("486 Busy Here"). */
  reason: string | null;
}

export interface PhoneState {
  registration: Registration;
  error: string | null;
  call: CallView | null;
}

/** What the call's audio does, as the browser measures it (and tests read). */
export interface AudioStats {
  packetsReceived: number;
  packetsSent: number;
  /** Sum of squared levels received (WebRTC stats): grows only when sound arrives. */
  totalAudioEnergy: number;
}

declare global {
  interface Window {
    /** The portal's softphone, for the browser console and end-to-end tests. */
    nimbusSoftphone?: Softphone;
  }
}

function peerOf(s: Session): { peer: string; peerName: string } {
  const id = s.remoteIdentity;
  return { peer: id.uri.user ?? '', peerName: id.displayName ?? '' };
}

export class Softphone {
  private ua: UserAgent | null = null;
  private registerer: Registerer | null = null;
  private session: Session | null = null;
  private state: PhoneState = { registration: 'off', error: null, call: null };
  private readonly listeners = new Set<() => void>();
  private readonly audio: HTMLAudioElement;
  private account: PhoneAccount | null = null;
  /** Called with the caller when a call comes in (notifications while the tab is hidden). */
  onIncoming: ((call: CallView) => void) | null = null;

  constructor() {
    this.audio = document.createElement('audio');
    this.audio.autoplay = true;
    this.audio.setAttribute('data-testid', 'softphone-audio');
    document.body.append(this.audio);
    window.nimbusSoftphone = this;
  }

  async audioStats(): Promise<AudioStats | null> {
    const sdh = this.session?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
    const pc = sdh?.peerConnection;
    if (!pc) return null;
    const out: AudioStats = { packetsReceived: 0, packetsSent: 0, totalAudioEnergy: 0 };
    (await pc.getStats()).forEach((r: { type: string; kind?: string } & Record<string, unknown>) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.packetsReceived = Number(r.packetsReceived ?? 0);
        out.totalAudioEnergy = Number(r.totalAudioEnergy ?? 0);
      } else if (r.type === 'outbound-rtp' && r.kind === 'audio')
        out.packetsSent = Number(r.packetsSent ?? 0);
    });
    return out;
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  snapshot = (): PhoneState => this.state;

  private set(patch: Partial<PhoneState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  private setCall(patch: Partial<CallView> | null): void {
    if (patch === null || !this.state.call) this.set({ call: patch as CallView | null });
    else this.set({ call: { ...this.state.call, ...patch } });
  }

  /** Connects and registers; with a new account (fresh credentials) re-registers. */
  async start(account: PhoneAccount): Promise<void> {
    const same =
      this.account && this.account.number === account.number && this.account.server === account.server;
    this.account = account;
    if (same && this.ua) {
      // Fresh credentials before the old ones expire: the next REGISTER uses them.
      const options = this.ua.configuration as {
        authorizationUsername: string;
        authorizationPassword: string;
      };
      options.authorizationUsername = account.username;
      options.authorizationPassword = account.password;
      return;
    }
    await this.stop();
    this.set({ registration: 'connecting', error: null });
    const uri = UserAgent.makeURI(`sip:${account.number}@${account.domain}`);
    if (!uri) throw new Error(`bad SIP URI for ${account.number}@${account.domain}`);
    const ua = new UserAgent({
      uri,
      displayName: account.displayName,
      authorizationUsername: account.username,
      authorizationPassword: account.password,
      transportOptions: { server: account.server, keepAliveInterval: 25 },
      logLevel: 'warn',
      sessionDescriptionHandlerFactoryOptions: { iceGatheringTimeout: 3000 },
      delegate: {
        onInvite: (invitation) => this.incoming(invitation),
        onDisconnect: (error) => {
          if (error) this.set({ registration: 'connecting', error: error.message });
          // SIP.js does not reconnect by itself: try again shortly, then register anew.
          setTimeout(() => void this.reconnect(), 2000);
        },
      },
    });
    this.ua = ua;
    const registerer = new Registerer(ua, { expires: 300 });
    this.registerer = registerer;
    registerer.stateChange.addListener((s) => {
      if (s === RegistererState.Registered) this.set({ registration: 'registered', error: null });
      else if (s === RegistererState.Unregistered && this.state.registration === 'registered')
        this.set({ registration: 'connecting' });
    });
    try {
      await ua.start();
      await registerer.register({
        requestDelegate: {
          onReject: (r) =>
            this.set({ registration: 'failed', error: `${r.message.statusCode} ${r.message.reasonPhrase}` }),
        },
      });
    } catch (e) {
      this.set({ registration: 'failed', error: e instanceof Error ? e.message : String(e) });
    }
  }

  private async reconnect(): Promise<void> {
    const ua = this.ua;
    if (!ua || ua !== this.ua) return;
    try {
      await ua.reconnect();
      await this.registerer?.register();
    } catch {
      setTimeout(() => void this.reconnect(), 5000);
    }
  }

  async stop(): Promise<void> {
    const ua = this.ua;
    this.ua = null;
    if (!ua) return;
    this.session = null;
    await this.registerer?.unregister().catch(() => undefined);
    await ua.stop().catch(() => undefined);
    this.set({ registration: 'off', call: null });
  }

  private incoming(invitation: Invitation): void {
    if (this.session) {
      void invitation.reject({ statusCode: 486 });
      return;
    }
    this.track(invitation, 'in');
    // An intercom call or a page answers by itself: the PBX's auto-answer headers say so.
    if (wantsAutoAnswer((name) => invitation.request.getHeader(name))) {
      void this.answer();
      return;
    }
    this.onIncoming?.(this.state.call!);
  }

  /** Follows a session's states into the call view, and plays its audio once it is up. */
  private track(session: Session, direction: 'in' | 'out'): void {
    this.session = session;
    this.setCall(null);
    this.set({
      call: {
        direction,
        ...peerOf(session),
        state: direction === 'in' ? 'ringing' : 'connecting',
        startedAt: Date.now(),
        answeredAt: null,
        muted: false,
        held: false,
        endReason: null,
        transfer: null,
      },
    });
    session.stateChange.addListener((s) => {
      if (this.session !== session) return;
      if (s === SessionState.Established) {
        const sdh = session.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
        if (sdh) {
          this.audio.srcObject = sdh.remoteMediaStream;
          void this.audio.play().catch(() => undefined);
        }
        this.setCall({ state: 'talking', answeredAt: Date.now() });
      } else if (s === SessionState.Terminated) {
        this.session = null;
        this.audio.srcObject = null;
        this.setCall({ state: 'ended' });
        setTimeout(() => {
          if (!this.session && this.state.call?.state === 'ended') this.setCall(null);
        }, 2500);
      }
    });
  }

  async call(target: string): Promise<void> {
    if (!this.ua || !this.account || this.session) return;
    const uri = UserAgent.makeURI(`sip:${target}@${this.account.domain}`);
    if (!uri) throw new Error(`Not a number: ${target}`);
    const inviter = new Inviter(this.ua, uri, {
      sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
    });
    this.track(inviter, 'out');
    this.setCall({ peer: target, peerName: '' });
    await inviter.invite({
      requestDelegate: {
        onProgress: (r) => {
          if (r.message.statusCode === 180 || r.message.statusCode === 183)
            this.setCall({ state: 'ringing' });
        },
        onReject: (r) => this.setCall({ endReason: `${r.message.statusCode} ${r.message.reasonPhrase}` }),
      },
    });
  }

  async answer(): Promise<void> {
    const s = this.session;
    if (!(s instanceof Invitation) || s.state !== SessionState.Initial) return;
    this.setCall({ state: 'connecting' });
    await s.accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } });
  }

  /** Declines a ringing call, cancels an outgoing one, or hangs up. */
  async hangup(): Promise<void> {
    const s = this.session;
    if (!s) return;
    if (s instanceof Invitation && s.state === SessionState.Initial) await s.reject({ statusCode: 486 });
    else if (s instanceof Inviter && s.state !== SessionState.Established) await s.cancel();
    else if (s.state === SessionState.Established) await s.bye();
  }

  mute(on: boolean): void {
    const sdh = this.session?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
    if (!sdh) return;
    sdh.enableSenderTracks(!on);
    this.setCall({ muted: on });
  }

  /** Hold by re-INVITE with a=sendonly (the PBX plays music on hold to the other side). */
  async hold(on: boolean): Promise<void> {
    const s = this.session;
    if (!s || s.state !== SessionState.Established) return;
    s.sessionDescriptionHandlerOptionsReInvite = {
      hold: on,
    } as typeof s.sessionDescriptionHandlerOptionsReInvite;
    await s.invite({
      requestDelegate: { onAccept: () => this.setCall({ held: on }) },
    });
  }

  /**
   * Blind transfer (REFER, RFC 3515): the other party goes to `target`. The PBX
   * rings it and tells how it goes; when it answers, the PBX hangs up this call.
   * If it fails, this call goes on (still on hold if it was).
   */
  async transfer(target: string): Promise<void> {
    const s = this.session;
    if (!s || s.state !== SessionState.Established || !this.account) return;
    const uri = UserAgent.makeURI(`sip:${target}@${this.account.domain}`);
    if (!uri) throw new Error(`Not a number: ${target}`);
    const update = (status: TransferView['status'], reason: string | null = null) => {
      if (this.session === s) this.setCall({ transfer: { target, status, reason } });
    };
    update('trying');
    await s.refer(uri, {
      requestDelegate: {
        onReject: (r) => update('failed', `${r.message.statusCode} ${r.message.reasonPhrase}`),
      },
      onNotify: (n) => {
        void n.accept();
        // The body is a message/sipfrag status line: "SIP/2.0 180 Ringing".
        const line = (n.request.body ?? '').split(/\r?\n/)[0] ?? '';
        const code = Number(/^SIP\/2\.0 (\d{3})/.exec(line)?.[1] ?? 0);
        if (code >= 300) update('failed', line.replace(/^SIP\/2\.0 /, ''));
        else if (code >= 200) update('done');
        else if (code === 180 || code === 183) update('ringing');
      },
    });
  }

  /** A key as RFC 4733 telephone-event in the audio stream (what IVRs and voicemail menus read). */
  dtmf(key: string): void {
    const sdh = this.session?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
    sdh?.sendDtmf(key, { duration: 160, interToneGap: 70 });
  }
}
