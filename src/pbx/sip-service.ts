/**
 * The SIP side of a node: transports, the transaction layer and the UA core that
 * dispatches requests — REGISTER to the registrar, a new INVITE to a B2BUA call,
 * requests inside a dialog to the call that owns it, OPTIONS answered here.
 * Malformed requests that can still be answered get a stateless 400 (or 505/413).
 */

import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MediaEngine } from '../media/engine.js';
import { type DigestAlgorithm, DigestAuthenticator } from '../sip/auth.js';
import { makeResponse, newCallId, newTag, tagOf } from '../sip/build.js';
import { incomingDialogKey, type LocalAddress, viaFor } from '../sip/dialog.js';
import {
  Headers,
  isKnownScheme,
  type ParseError,
  parseUri,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../sip/message/index.js';
import { type DnsLike, resolveSipTargets } from '../sip/resolve.js';
import { Notifier } from '../sip/subscription.js';
import { type Clock, systemClock } from '../sip/transaction/clock.js';
import type { InviteServerTransaction } from '../sip/transaction/ist.js';
import { type ServerTransaction, TransactionLayer } from '../sip/transaction/layer.js';
import { DEFAULT_TIMERS } from '../sip/transaction/timers.js';
import type { Destination, TxContext } from '../sip/transaction/types.js';
import { SipTransports } from '../sip/transport/transports.js';
import { QueueStatsLog } from '../store/repositories/queues.js';
import type { Trunk } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { type App, AppCall } from './app-call.js';
import { conferenceRoom } from './apps/conference.js';
import { echoTest } from './apps/echo.js';
import { keyReadback } from './apps/key-readback.js';
import { type SettingActions, settingApp } from './apps/setting-codes.js';
import { AuthGuard, type AuthGuardOptions, type Ban } from './auth-guard.js';
import { authenticate } from './authenticate.js';
import { BusyLampPackage, type ExtensionDialog, lampResource } from './busy-lamp.js';
import type { CalendarSpec } from './calendar/types.js';
import { type ActiveCall, Call, type CallContext, type CallParty, type Release } from './call.js';
import { CallControl } from './call-control.js';
import { CallerLookup } from './caller-lookup.js';
import { type DefenceOptions, Defences } from './defences.js';
import { Directory, type ExtensionEntry, type TenantEntry } from './directory.js';
import { LiveState, ObservedLocation, PbxEvents } from './events.js';
import { effectiveCodes, type Feature, matchFeature } from './feature-codes.js';
import {
  aorOf,
  isBrowserBinding,
  type LocationService,
  MemoryLocation,
  NodeLocationView,
} from './location.js';
import { relayMessage } from './message-relay.js';
import { MusicOnHold } from './moh.js';
import { OutboundLeg } from './outbound-leg.js';
import { type PageMember, pagingApp } from './page.js';
import { ParkingLot } from './park.js';
import { Phonebook } from './phonebook.js';
import { PushNotifier } from './push-notifier.js';
import { MemoryAgentSessions } from './queue/agents.js';
import { callbackDialer } from './queue/callback-dialer.js';
import { type PublishedWaiter, QueueEngine } from './queue/engine.js';
import { type AgentFigures, emptyAgentFigures, emptyQueueFigures, type QueueFigures } from './queue/stats.js';
import { RequestRateLimiter } from './rate-limit.js';
import { RecordingService } from './recording/service.js';
import type { RecordingStorage } from './recording/storage.js';
import { Registrar } from './registrar.js';
import type { RemoteActivity, RemoteCall } from './remote-activity.js';
import { externalRefusal, externalRingTarget } from './routing/external.js';
import { destinationForNumber, Router, type RouterEnv } from './routing/router.js';
import type { RingGroupConfig, Destination as RouteDestination } from './routing/types.js';
import { ScannerFilter } from './scanner-filter.js';
import { SecurityLog } from './security-events.js';
import { SpokenText } from './spoken-text.js';
import { handleRefer, type TransferDeps } from './transfer.js';
import { Carriers } from './trunks/carriers.js';
import { inboundNumbers } from './trunks/inbound.js';
import { TrustedProxies } from './trusted-proxies.js';
import { VoicemailMailer } from './voicemail/mailer.js';
import { voicemailMenu } from './voicemail/menu.js';
import { MessageSummaryPackage, unsolicitedNotify } from './voicemail/mwi.js';
import { VoicemailService } from './voicemail/service.js';
import { HttpTranscriber } from './voicemail/transcribe.js';

/** How long a carrier rings an outside number a call was transferred to. */
const EXTERNAL_TRANSFER_RING_SEC = 60;

export const ALLOW =
  'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, MESSAGE, SUBSCRIBE, REFER, NOTIFY';

export interface SipServiceOptions {
  host: string;
  port: number;
  /** The address put in Via and Contact: what phones can reach. */
  publicAddress: string;
  /** Shared secret for digest nonces; the same on every node of a cluster. */
  secret: Buffer;
  /**
   * Product name in Server headers of answers and the User-Agent of the node's own
   * REGISTERs to carriers; none by default (scanners learn nothing).
   */
  serverHeader?: string | null;
  /** Brute-force protection: failure limits, ban length, allow-list (defaults: AUTH_GUARD_DEFAULTS). */
  security?: Partial<AuthGuardOptions>;
  /** User-Agent fragments whose requests are dropped unanswered (default DEFAULT_SCANNER_AGENTS; [] none). */
  scannerAgents?: readonly string[];
  /** Requests a second one address may send (pike-style; over it, dropped for 30 s). Default 0: no limit. */
  rateLimit?: number;
  /**
   * Addresses and CIDR ranges of SIP proxies in front (Kamailio): a request from one is judged
   * (bans, rate limit, scanners, security events) by the client it relayed it for. Default none.
   */
  trustedProxies?: readonly string[];
  /** Per-tenant request rate, connection caps and deadlines, bounds on work in progress (defences.ts). */
  defences?: Partial<DefenceOptions>;
  /** Digest algorithms challenged, in order (default MD5 alone: see DigestAuthenticator). */
  digestAlgorithms?: DigestAlgorithm[];
  /** SIP over TLS: port and certificate; omitted: no TLS. */
  tls?: { port: number; key: string; cert: string };
  /** How often registered contacts are pinged with OPTIONS (default 60 s). */
  qualifyIntervalMs?: number;
  /** How often running external calls are checked against the tenants' daily caps (default 5 s). */
  capCheckMs?: number;
  /** Node id written on CDR rows, so a restart closes only its own open calls. */
  node?: string;
  /** Shared bindings of a cluster (src/cluster/location.ts); omitted: in this process's memory. */
  location?: LocationService;
  clock?: Clock;
  /**
   * Media anchoring: every call's RTP through our relay on these ports. Omitted:
   * signalling only, SDP passes between the phones untouched (SIP-level tests).
   */
  media?: {
    bindAddress: string;
    portMin: number;
    portMax: number;
    workers: number;
    /** UDP ports of browser softphones' ICE sockets (WebRTC gateway); default ephemeral ports. */
    webrtcPortMin?: number;
    webrtcPortMax?: number;
    /** SDES-SRTP with phones signalling over TLS/WSS (NIMBUS_MEDIA_ENCRYPTION); default 'optional'. */
    mediaEncryption?: 'off' | 'optional' | 'required';
  };
  /** Folder with a music-on-hold folder per tenant; unset: the built-in music only. */
  mohDir?: string;
  /** Contact for push services (VAPID `sub`, RFC 8292): a mailto: or https: URL of the operator. */
  pushSubject?: string;
  /**
   * Voicemail: where messages and greetings are kept (`<dataDir>/voicemail`), and
   * the SMTP server voicemail-to-email goes through (none: no email). Omitted: no voicemail.
   */
  voicemail?: {
    dir: string;
    smtpUrl?: string | null;
    smtpFrom?: string;
    portalUrl?: string | null;
    /** A speech-to-text service by URL (voicemail transcripts); unset: none. */
    transcribeUrl?: string | null;
    transcribeToken?: string | null;
  };
  /** Where text spoken by the TTS (IVR greetings) is kept; default a folder in the system's temp. */
  ttsDir?: string;
  /** The tenants' own audio files (`<dir>/<tenant>/<id>.wav`, uploaded through the API); unset: none. */
  audioDir?: string;
  /** DNS for trunks' host names (NAPTR, SRV, A); default the system's resolver. */
  dns?: DnsLike;
  /** Where call recordings go (the data directory or object storage); omitted: calls are not recorded. */
  recordings?: RecordingStorage;
  /**
   * Who outside callers are (names for the phones and the CDR): the tenant's phonebook is
   * added first, CRM sources after it by whoever made it. Omitted: one with the phonebook alone.
   */
  callerLookup?: CallerLookup;
}

/** Whether a side's party is still in the call (a parker or transferor who left is not). */
function present(call: ActiveCall, side: 'A' | 'B'): boolean {
  // A call the PBX placed (a callback leg, a page) has only its callee on the line: its "caller"
  // is the name the phone is shown, not a party on this call.
  if (call instanceof OutboundLeg) return side === 'B';
  return !(call instanceof Call) || call.state !== 'answered' || !call.isGone(side);
}

/** What this node tells the other nodes of one of its calls (src/cluster/live-registry.ts). */
export type LocalCallView = Omit<RemoteCall, 'node'>;

/** The dialogs a call shows on `number`'s busy lamp (this node's calls and other nodes' alike). */
function dialogsOn(view: LocalCallView, number: string): ExtensionDialog[] {
  const out: ExtensionDialog[] = [];
  const state = view.state === 'answered' ? 'confirmed' : 'early';
  const callId = view.sipCallId;
  const a = view.parties.find((p) => p.side === 'A');
  const b = view.parties.find((p) => p.side === 'B');
  if (a?.number === number)
    out.push({ id: `${callId}-a`, callId, direction: 'initiator', state, remote: b?.number ?? '' });
  if (b?.number === number)
    out.push({ id: `${callId}-b`, callId, direction: 'recipient', state, remote: a?.number ?? '' });
  // Extensions a routed call is ringing (a group's members, follow-me steps): their lamps flash.
  if (view.ringing.includes(number) && b?.number !== number)
    out.push({
      id: `${callId}-r${number}`,
      callId,
      direction: 'recipient',
      state: 'early',
      remote: a?.number ?? '',
    });
  return out;
}

export class SipService {
  readonly transports: SipTransports;
  readonly layer: TransactionLayer;
  readonly directory: Directory;
  readonly location: LocationService;
  readonly registrar: Registrar;
  /** SUBSCRIBE/NOTIFY (RFC 6665): busy lamps now, message-waiting with voicemail. */
  readonly notifier: Notifier;
  private readonly auth: DigestAuthenticator;
  /** Failed authentications, bans and scanners: log lines and the portal's list. */
  readonly securityLog: SecurityLog;
  /** Counts authentication failures and keeps bans. */
  readonly guard: AuthGuard;
  /** Drops requests from known scanners' User-Agents, unanswered. */
  readonly scanners: ScannerFilter;
  /** Drops requests from addresses sending too fast. */
  readonly flood: RequestRateLimiter;
  /** Proxies in front whose Vias say which client sent a request (NIMBUS_SIP_TRUSTED_PROXIES). */
  readonly proxies: TrustedProxies;
  /** Per-tenant rate limit, connection caps, bounds on calls, subscriptions and transactions. */
  readonly defences: Defences;
  private readonly txContext: TxContext;
  private readonly callContext: CallContext;
  /** In-dialog requests find their call by dialog key; a caller's CANCEL by its INVITE transaction. */
  private readonly dialogs = new Map<string, { call: ActiveCall; side: 'A' | 'B' }>();
  private readonly byInvite = new Map<InviteServerTransaction, ActiveCall>();
  readonly calls = new Set<ActiveCall>();
  /**
   * In a cluster: the other nodes' calls and queue callers (src/cluster/live-registry.ts).
   * Null on a single node, where nothing below asks Redis or pays for it.
   */
  remote: RemoteActivity | null = null;
  /** In a cluster: told of every change of one of this node's calls, to publish it. */
  callWatch: ((call: ActiveCall) => void) | null = null;
  /** Calls and registrations as they happen; `live` is the current picture per tenant. */
  readonly events = new PbxEvents();
  readonly live = new LiveState(this.events);
  /** Incoming and missed calls as Web Push notifications to users whose portal is closed. */
  readonly push: PushNotifier;
  private sweep: NodeJS.Timeout | null = null;
  /** Cuts off running external calls of tenants past their daily caps (those that ask for it). */
  private capCheck: NodeJS.Timeout | null = null;
  private parkingLot: ParkingLot | null = null;
  private callControl: CallControl | null = null;
  /** Follows each call's destinations: forwarding, groups, calendars, inbound routes. */
  readonly router: Router;
  private readonly routerEnv: RouterEnv;
  /** Call queues: only with a media engine (callers wait to music). */
  queues: QueueEngine | null = null;
  private statsFlush: NodeJS.Timeout | null = null;
  private statsLog: QueueStatsLog | null = null;
  /** Voicemail (with `opts.voicemail`): deposits, the phone menu, lamps. */
  readonly voicemail: VoicemailService | null = null;
  /** Call recording by policy and on demand (with `opts.recordings` and anchored media). */
  readonly recordings: RecordingService | null = null;
  private retention: NodeJS.Timeout | null = null;
  /** Voicemail to email (with an SMTP server configured). */
  mailer: VoicemailMailer | null = null;
  /** Contacts each extension had registered at the last change (new ones get the lamp's state). */
  private readonly knownContacts = new Map<string, Set<string>>();
  /** IVR greetings typed as text, spoken by the TTS once and kept as files. */
  private readonly spokenText: SpokenText;
  /** Trunks to the public network, external-call limits and the fraud rule. */
  readonly carriers: Carriers;
  /** The tenants' phonebooks in memory: caller names, dial-by-name. */
  readonly phonebook: Phonebook;
  /** Names outside callers by the phonebook (and CRMs) before their call is routed. */
  readonly callerLookup: CallerLookup;

  constructor(
    private readonly opts: SipServiceOptions,
    private readonly store: Store,
    private readonly log: Logger,
  ) {
    const clock = opts.clock ?? systemClock;
    this.spokenText = new SpokenText(opts.ttsDir ?? join(tmpdir(), 'nimbus-tts'));
    this.directory = new Directory(store);
    this.phonebook = new Phonebook(store, {
      countryOf: (tenantId) => this.directory.tenantById(tenantId)?.country,
      onError: (tenantId, err) => log.warn({ err, tenantId }, 'phonebook load failed'),
    });
    this.callerLookup =
      opts.callerLookup ??
      new CallerLookup({ onError: (source, err) => log.warn({ err, source }, 'caller lookup failed') });
    // The phonebook is asked first: the company's own name for a number beats a CRM's.
    this.callerLookup.add(this.phonebook);
    // In a cluster the registrar keeps the whole shared set; calls see what this node can reach.
    const bindings = new ObservedLocation(opts.location ?? new MemoryLocation(), this.events);
    this.location = opts.location && opts.node ? new NodeLocationView(bindings, opts.node) : bindings;
    this.auth = new DigestAuthenticator({
      secret: opts.secret,
      ...(opts.digestAlgorithms ? { algorithms: opts.digestAlgorithms } : {}),
    });
    this.securityLog = new SecurityLog(log.child({ component: 'security' }), {
      tenantOf: (realm) => this.directory.tenantByDomain(realm)?.id ?? null,
    });
    this.guard = new AuthGuard(this.securityLog, opts.security ?? {});
    this.scanners = new ScannerFilter(this.securityLog, {
      ...(opts.scannerAgents ? { agents: opts.scannerAgents } : {}),
      allowed: (ip) => this.guard.allowed(ip),
    });
    this.proxies = new TrustedProxies(opts.trustedProxies ?? []);
    this.flood = new RequestRateLimiter(this.securityLog, {
      perSecond: opts.rateLimit ?? 0,
      // A trusted proxy's requests of its own (hop-by-hop ACKs and CANCELs, probes: one Via,
      // so judged by its address) grow with the traffic of every phone behind it.
      allowed: (ip) => this.guard.allowed(ip) || this.proxies.trusted(ip),
    });
    this.defences = new Defences(this.securityLog, (domain) => this.directory.tenantByDomain(domain), {
      // A tenant's own limit, set by the operator, over the platform's.
      tenantLimitOf: (tenantId) => this.directory.tenantById(tenantId)?.sipRequestsPerSecond,
      // The allow-list (the office, monitoring) is never rate-limited, per address or per tenant.
      exempt: (ip) => this.guard.allowed(ip),
      ...opts.defences,
      clock: () => clock.now(),
    });
    this.registrar = new Registrar(
      this.directory,
      bindings,
      this.auth,
      undefined,
      {},
      this.guard,
      (req, source) => this.proxies.clientOf(req, source),
    );
    this.transports = new SipTransports(
      {
        host: opts.host,
        port: opts.port,
        ...(opts.tls ? { tls: opts.tls } : {}),
        connections: {
          ...this.defences.opts.connections,
          // A proxy in front carries every phone's connection; the allow-list is trusted not to flood.
          exempt: (ip) => this.proxies.trusted(ip) || this.guard.allowed(ip),
        },
      },
      {
        message: (m, source) => this.onMessage(m, source),
        malformed: (e, source) => this.onMalformed(e, source),
        refused: (ip, transport) => this.defences.connectionRefused(ip, transport),
      },
    );
    this.txContext = { clock, timers: DEFAULT_TIMERS, sender: this.transports };
    const layer = new TransactionLayer(
      this.txContext,
      {
        request: (req, tx, source) => this.onRequest(req, tx, source),
        stateless: (req, source) => this.challengeStatelessly(req, source),
        cancel: (invite) => this.byInvite.get(invite)?.cancelledByCaller(),
      },
      this.defences.layerLimits(),
    );
    this.layer = layer;
    this.carriers = new Carriers(
      {
        layer,
        clock,
        localFor: (d) => this.localFor(d),
        log,
        userAgent: opts.serverHeader ?? null,
        ...(opts.dns ? { resolve: (host, o) => resolveSipTargets(host, { ...o, dns: opts.dns }) } : {}),
      },
      store,
      this.directory,
      this.events,
      log,
      (tenantId) => this.tenantChanged(tenantId),
    );
    this.notifier = new Notifier({ layer: this.layer, clock, localFor: (d) => this.localFor(d) }, [
      new BusyLampPackage(
        (resource) => this.dialogsOf(resource),
        (resource) => {
          const [tenantId, number] = resource.split('/');
          return `sip:${number}@${this.directory.tenantById(tenantId ?? '')?.domain ?? 'invalid'}`;
        },
      ),
    ]);
    if (opts.voicemail) {
      this.voicemail = new VoicemailService(
        store,
        this.directory,
        log,
        {
          dir: opts.voicemail.dir,
          transcriber: opts.voicemail.transcribeUrl
            ? new HttpTranscriber({
                url: opts.voicemail.transcribeUrl,
                token: opts.voicemail.transcribeToken ?? null,
              })
            : null,
        },
        {
          lamp: (tenantId, number) => this.mwiChanged(tenantId, number),
          stored: () => this.mailer?.kick(),
          deposited: (tenantId, box, m) => {
            const tenant = this.directory.tenantById(tenantId);
            this.events.emit({
              type: 'voicemail.new',
              tenantId,
              message: {
                id: m.id,
                boxId: box.id,
                mailbox: (tenant && this.voicemail?.numberOf(tenant, box)) || box.name,
                caller: m.caller,
                callerName: m.callerName,
                durationMs: m.durationMs,
                receivedAt: m.receivedAt.toISOString(),
              },
            });
          },
        },
      );
      const vm = this.voicemail;
      this.notifier.register(
        new MessageSummaryPackage((resource) => {
          const [tenantId, number] = resource.split('/');
          return vm.summary(tenantId ?? '', number ?? '');
        }),
      );
    }
    this.push = new PushNotifier(store, this.directory, this.live, log, {
      subject: opts.pushSubject ?? 'mailto:admin@nimbus.local',
    });
    this.push.attach(this.events);
    this.routerEnv = {
      bindingsOf: (tenantId, number) => this.location.lookup(aorOf(tenantId, number), Date.now()),
      isBusy: (tenantId, number) => this.callsOf(tenantId, number) > 0,
      now: () => new Date(),
      ms: () => clock.now(),
      random: Math.random,
      memory: new Map(),
      clock,
      queues: null,
      spoken: (text, lang) => this.spokenText.file(text, lang),
      audioFile: (tenantId, id) => (opts.audioDir ? join(opts.audioDir, tenantId, `${id}.wav`) : null),
      outbound: this.carriers.outbound,
      contacts: (tenantId) => this.phonebook.entries(tenantId),
    };
    this.router = new Router(this.routerEnv);
    // Agents become (un)available as their phones register and their calls come and go.
    this.events.on((e) => {
      if (e.type !== 'registration') return;
      this.queues?.tenantActivity(e.tenantId);
      // A phone that has just registered learns its lamp at once (RFC 3842 unsolicited NOTIFY):
      // many desk phones never subscribe to message-summary.
      const key = aorOf(e.tenantId, e.registration.extension);
      const now = new Set(e.registration.devices.map((d) => d.contact));
      const before = this.knownContacts.get(key);
      if (now.size) this.knownContacts.set(key, now);
      else this.knownContacts.delete(key);
      const ext = this.directory.tenantById(e.tenantId)?.extensions.get(e.registration.extension);
      if (ext?.voicemailEnabled && [...now].some((c) => !before?.has(c)))
        this.mwiChanged(e.tenantId, e.registration.extension);
    });
    if (opts.recordings)
      this.recordings = new RecordingService({
        node: opts.node ?? 'local',
        log: store.recordingLog,
        storage: opts.recordings,
        directory: this.directory,
        logger: log.child({ component: 'recordings' }),
      });
    this.callContext = {
      layer: this.layer,
      sender: this.transports,
      tx: this.txContext,
      clock,
      localFor: (dest) => this.localFor(dest),
      media: null,
      webrtc: null,
      moh: new MusicOnHold(opts.mohDir ?? null),
      callLog: store.callLog,
      events: this.events,
      log,
      node: opts.node ?? 'local',
      bindDialog: (key, call, side) => this.dialogs.set(key, { call, side }),
      unbindDialog: (key) => this.dialogs.delete(key),
      changed: (call) => this.lampsChanged(call),
      refer: (call, side, req, tx) => handleRefer(this.transferDeps(), call, side, req, tx),
      ended: (call) => {
        this.calls.delete(call);
        this.lampsChanged(call);
        for (const [tx, c] of this.byInvite) if (c === call) this.byInvite.delete(tx);
      },
    };
  }

  /**
   * OPTIONS to every registered contact (RFC 3261 §11): any answer, even an error,
   * proves it alive; a contact that answers nothing until Timer F is dropped, so
   * calls stop ringing a phone that has gone away without unregistering.
   */
  qualify(): void {
    for (const [aor, b] of this.location.entries(this.txContext.clock.now())) {
      const uri = parseUri(b.contact);
      if (!uri) continue;
      const local = this.localFor(b.source);
      const headers = new Headers();
      headers.append('Via', viaFor(local));
      for (const p of b.path) headers.append('Route', p);
      headers.append('Max-Forwards', '70');
      headers.append('From', `<sip:nimbus@${local.host}>;tag=${newTag()}`);
      headers.append('To', `<${b.contact}>`);
      headers.append('Call-ID', newCallId(local.host));
      headers.append('CSeq', '1 OPTIONS');
      const req: SipRequest = {
        kind: 'request',
        method: 'OPTIONS',
        uri,
        rawUri: b.contact,
        headers,
        body: Buffer.alloc(0),
      };
      this.layer.sendRequest(req, b.source, {
        response: () => {},
        timeout: () => {
          this.log.info({ aor, contact: b.contact }, 'contact stopped answering; binding dropped');
          this.location.remove(aor, b.contact);
        },
      });
    }
  }

  async start(): Promise<void> {
    const closed = await this.store.callLog.closeInterrupted(this.callContext.node);
    if (closed) this.log.warn({ closed }, 'closed calls left open by a previous run as interrupted');
    // The media workers start while the directory loads (threads take a moment to boot).
    const m = this.opts.media;
    const media = m
      ? MediaEngine.start({
          bindAddress: m.bindAddress,
          advertiseAddress: this.opts.publicAddress,
          portMin: m.portMin,
          portMax: m.portMax,
          workers: m.workers > 0 ? m.workers : availableParallelism(),
          ...(m.mediaEncryption ? { mediaEncryption: m.mediaEncryption } : {}),
          onWorkerError: (index, err) => this.log.error({ err, index }, 'media worker died; restarted'),
        })
      : Promise.resolve(null);
    media.catch(() => {}); // awaited below; a failure there stops start-up
    // werift (WebRTC for browser softphones) takes a quarter of a second to load: in the background too.
    const webrtc = m ? import('../media/webrtc/gateway.js') : null;
    webrtc?.catch(() => {});
    await this.directory.loadAll();
    await this.phonebook.loadAll(this.directory.all().map((t) => t.id));
    this.callContext.media = await media;
    if (this.callContext.media) await this.startQueues(this.txContext.clock);
    if (webrtc && m && this.callContext.media)
      // Browser softphones: ICE and DTLS-SRTP end here, their audio joins the relay as plain RTP.
      this.callContext.webrtc = new (await webrtc).WebRtcGateway({
        bindAddress: m.bindAddress,
        ...(isIP(this.opts.publicAddress) ? { advertiseAddresses: [this.opts.publicAddress] } : {}),
        plainAddress: this.callContext.media.localAddress,
        ...(m.webrtcPortMin !== undefined && m.webrtcPortMax !== undefined
          ? { portMin: m.webrtcPortMin, portMax: m.webrtcPortMax }
          : {}),
      });
    if (this.recordings && this.callContext.media) {
      // Recordings a crash cut short are kept (or marked failed) before new ones start.
      const kept = await this.recordings.recover();
      if (kept) this.log.warn({ kept }, 'call recordings left open by a previous run were recovered');
      this.callContext.recordings = this.recordings;
      const storage = this.opts.recordings;
      const sweep = () => {
        void this.recordings
          ?.deleteExpired(new Date())
          .catch((e: unknown) => this.log.warn({ err: e }, 'recording retention sweep failed'));
        // Recordings object storage refused earlier (they play from local disk meanwhile).
        void storage
          ?.retryUploads?.()
          .then(({ sent, waiting }) => {
            if (sent || waiting) this.log.info({ sent, waiting }, 'recordings sent to object storage later');
          })
          .catch((e: unknown) => this.log.warn({ err: e }, 'recording upload retry failed'));
      };
      sweep();
      this.retention = setInterval(sweep, 15 * 60_000);
      this.retention.unref();
    }
    if (this.voicemail) {
      // A half-recorded message is recovered before any new recording starts (DESIGN.md §5).
      await this.voicemail.recover();
      await this.voicemail.resumeTranscripts(this.directory.all().map((t) => t.id));
      if (this.callContext.media) this.routerEnv.voicemail = this.voicemail;
      const v = this.opts.voicemail;
      if (v?.smtpUrl) {
        this.mailer = new VoicemailMailer(this.store, this.directory, this.voicemail, this.log, {
          smtpUrl: v.smtpUrl,
          from: v.smtpFrom ?? 'voicemail@nimbus.local',
          portalUrl: v.portalUrl ?? null,
        });
        this.mailer.start();
      }
    }
    await this.transports.listen();
    // Registrations to carriers go out once we can hear their answers.
    await this.carriers.start();
    const interval = this.opts.qualifyIntervalMs ?? 60_000;
    this.sweep = setInterval(() => {
      this.location.sweep(Date.now());
      this.qualify();
    }, interval);
    this.sweep.unref();
    this.capCheck = setInterval(() => {
      const cut = this.carriers.limits.enforce(this.txContext.clock.now());
      if (cut) this.log.warn({ cut }, 'external calls cut off at a daily cap');
    }, this.opts.capCheckMs ?? 5000);
    this.capCheck.unref();
  }

  /**
   * The configuration of a tenant changed (`null`: of every tenant): reload the
   * snapshot, and end the busy-lamp subscriptions to extensions that are gone.
   */
  /**
   * Set in a cluster: told of every change this node applies, so other nodes apply it too
   * (they call `tenantChanged(id, false)`: a change heard is not announced again).
   */
  announce:
    | ((
        change:
          | { kind: 'tenant'; tenantId: string | null }
          | { kind: 'contacts'; tenantId: string }
          | {
              kind: 'agent';
              tenantId: string;
              number: string;
              queues: string[];
              paused: boolean;
              pauseReason: string;
            },
      ) => void)
    | null = null;
  /** In a cluster: told of each change of a queue's line here, to publish it (set before `start`). */
  lineWatch: ((tenantId: string, queueId: string, line: PublishedWaiter[]) => void) | null = null;

  async tenantChanged(tenantId: string | null, announce = true): Promise<void> {
    if (announce) this.announce?.({ kind: 'tenant', tenantId });
    await this.directory.refresh(tenantId);
    if (tenantId === null) await this.phonebook.loadAll(this.directory.all().map((t) => t.id));
    else if (!this.directory.tenantById(tenantId)) this.phonebook.forget(tenantId);
    if (tenantId === null) this.carriers.sync();
    // An agent whose phone went on (or off) DND is paused by it: its pause time starts (or counts).
    for (const t of tenantId === null ? this.directory.all() : [this.directory.tenantById(tenantId)])
      if (t) this.queues?.dndChanged(t);
    for (const sub of this.notifier.subscriptions()) {
      const [tid, number] = sub.resource.split('/');
      if (tenantId !== null && tid !== tenantId) continue;
      const tenant = this.directory.tenantById(tid ?? '');
      if (!tenant?.enabled || !tenant.extensions.has(number ?? ''))
        this.notifier.terminateResource(sub.resource, 'noresource');
    }
  }

  /** A tenant's contacts changed (the API, a CRM sync): its phonebook map is rebuilt before this resolves. */
  async contactsChanged(tenantId: string, announce = true): Promise<void> {
    if (announce) this.announce?.({ kind: 'contacts', tenantId });
    await this.phonebook.reload(tenantId);
  }

  /**
   * Names an outside caller before routing: a name the phonebook (or a CRM) has for the
   * number replaces whatever the carrier sent (often just the number again); a carrier's
   * name stays when nobody knows the number. At most the lookup's deadline is spent.
   */
  private async identifyCaller(call: Call, tenantId: string, number: string): Promise<void> {
    if (number === 'anonymous' || this.callerLookup.empty) return;
    const identity = await this.callerLookup.lookup(tenantId, number);
    if (identity && call.state === 'ringing') call.identify(identity);
  }

  localFor(dest: Destination): LocalAddress {
    const port =
      dest.transport === 'UDP'
        ? this.transports.udpPort
        : dest.transport === 'TLS'
          ? this.transports.tlsPort
          : this.transports.tcpPort;
    return { host: this.opts.publicAddress, port, transport: dest.transport };
  }

  private onMessage(m: SipMessage, source: Destination): void {
    if (m.kind === 'request') {
      // Behind a trusted proxy, by the phone's address: otherwise one phone's flood or scan
      // would silence every phone coming through the proxy.
      const client = this.proxies.clientOf(m, source);
      if (
        this.flood.drop(client.host, client.transport, m.method) ||
        this.scanners.drop(m.headers.get('User-Agent'), client, m.method) ||
        this.defences.screen(
          m,
          client,
          (res) => this.transports.send(this.decorate(res), source),
          client !== source,
        )
      )
        return;
    }
    try {
      if (m.kind === 'request') this.layer.receiveRequest(m, source);
      else this.layer.receiveResponse(m, source);
    } catch (e) {
      // A bug must cost one message, never the process.
      this.log.error({ err: e }, 'SIP message handling failed');
    }
  }

  private onMalformed(e: ParseError, source: Destination): void {
    this.log.debug({ reason: e.reason, from: `${source.host}:${source.port}` }, 'malformed SIP message');
    if (e.canRespond && e.partial && e.partial.method !== 'ACK') {
      this.transports.send(makeResponse(e.partial, e.status, { reason: e.reason.slice(0, 100) }), source);
    }
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | null, source: Destination): void {
    // Inside a dialog (To has a tag): the call owning the dialog handles it.
    if (tagOf(req.headers.get('To')) !== null) {
      const key = incomingDialogKey(req);
      const owner = key ? this.dialogs.get(key) : undefined;
      if (owner) owner.call.inDialog(owner.side, req, tx);
      else if (tx && req.method === 'SUBSCRIBE' && this.notifier.refresh(req, tx)) return;
      else tx?.respond(this.decorate(makeResponse(req, 481)));
      return;
    }
    if (!tx) return; // a stray ACK
    if (req.method === 'INVITE') {
      const res = this.newCall(req, tx as InviteServerTransaction, source);
      if (res) tx.respond(this.decorate(res));
      return;
    }
    if (req.method === 'SUBSCRIBE' || req.method === 'MESSAGE') {
      const res =
        req.method === 'SUBSCRIBE' ? this.subscribe(req, tx, source) : this.message(req, tx, source);
      if (res) tx.respond(this.decorate(res));
      return;
    }
    tx.respond(this.decorate(this.answer(req, source)));
  }

  /**
   * RFC 3261 §8.2.7: a request that must be authenticated and carries no credentials
   * is challenged without a transaction (a retransmission just gets a fresh nonce),
   * so the first half of every registration and call holds no state on the server.
   */
  private challengeStatelessly(req: SipRequest, source: Destination): SipResponse | null {
    const userOptions = this.isUserOptions(req);
    const proxy = req.method === 'INVITE' || req.method === 'MESSAGE' || userOptions;
    // A carrier's call is known by where it comes from, not by a password.
    if ((req.method === 'INVITE' || userOptions) && this.trunkOf(req, source)) return null;
    if (!proxy && req.method !== 'REGISTER' && req.method !== 'SUBSCRIBE') return null;
    if (req.headers.has(proxy ? 'Proxy-Authorization' : 'Authorization')) return null;
    if (tagOf(req.headers.get('To')) !== null) return null;
    const refused = this.checkRequest(req);
    if (refused) return this.decorate(refused);
    const party = req.method === 'REGISTER' ? 'To' : 'From';
    const outcome = this.authenticate(req, source, proxy, party);
    return outcome.ok ? null : this.decorate(outcome.response);
  }

  /**
   * The trunk a request came in on, known by the carrier's address: behind a trusted proxy
   * (Kamailio) that is the address the proxy received it from, not the proxy's own.
   */
  private trunkOf(req: SipRequest, source: Destination): Trunk | null {
    return this.carriers.trunks.identify(this.proxies.clientOf(req, source), req);
  }

  /** Starts a call, or returns the response that refuses it. */
  private newCall(req: SipRequest, tx: InviteServerTransaction, source: Destination): SipResponse | null {
    const full = this.defences.admitCall(this.calls.size, req, source);
    if (full) return full;
    const refused = this.checkRequest(req);
    if (refused) return refused;
    const trunk = this.trunkOf(req, source);
    if (trunk) return this.trunkCall(trunk, req, tx, source);
    const authn = this.authenticate(req, source, true, 'From');
    if (!authn.ok) return authn.response;
    const { tenant, ext: caller } = authn;
    const dialled = req.uri.user ?? '';
    const callerParty: CallParty = {
      tenantId: tenant.id,
      number: caller.number,
      displayName: caller.displayName,
      domain: tenant.domain,
    };
    const feature = matchFeature(effectiveCodes(tenant.featureCodes), dialled);
    // Dial by name is a routing destination (an IVR option may lead there too): routed as a call.
    if (feature && feature.feature !== 'directory')
      return this.featureCall(feature.feature, feature.arg, req, tx, source, tenant, caller, callerParty);
    // A number that is nobody inside the company is an external one: out through the tenant's routes.
    const dest: RouteDestination = feature
      ? { kind: 'directory' }
      : (destinationForNumber(tenant, dialled) ?? { kind: 'number', number: dialled, on: caller.id });
    const named = tenant.extensions.get(dialled) ?? tenant.routingByNumber.get(dialled);
    const name = named ? ('displayName' in named ? named.displayName : named.name) : '';
    const call = new Call(
      this.callContext,
      req,
      tx,
      source,
      callerParty,
      { tenantId: tenant.id, number: dialled, displayName: name, domain: tenant.domain },
      { codecs: tenant.codecs, tones: tenant.tones },
    );
    this.calls.add(call);
    this.byInvite.set(tx, call);
    (async () => {
      if (await call.open()) await this.router.route(call, tenant, dest);
    })().catch((e: unknown) => {
      this.log.error({ err: e }, 'call set-up failed');
      call.abort();
    });
    return null;
  }

  /**
   * A call from a carrier: the called number must be one the operator gave a
   * tenant, with an inbound route; it takes a channel of the trunk and counts
   * among the tenant's external calls.
   */
  private trunkCall(
    trunk: Trunk,
    req: SipRequest,
    tx: InviteServerTransaction,
    source: Destination,
  ): SipResponse | null {
    const { did, caller, callerName } = inboundNumbers(trunk, req);
    const owner = did ? this.directory.ownerOf(did) : undefined;
    const tenant = owner ? this.directory.tenantById(owner.tenantId) : undefined;
    // A trunk delivers only to the tenants it serves.
    if (!did || !tenant?.enabled || (trunk.tenantIds !== null && !trunk.tenantIds.includes(tenant.id)))
      return makeResponse(req, 404, { reason: 'Number Not Assigned' });
    const dest = destinationForNumber(tenant, did);
    if (dest?.kind !== 'inboundRoute') return makeResponse(req, 404, { reason: 'No Route For Number' });
    const route = tenant.routing.get(dest.id);
    const call = new Call(
      this.callContext,
      req,
      tx,
      source,
      { tenantId: tenant.id, number: caller, displayName: callerName, domain: tenant.domain },
      { tenantId: tenant.id, number: did, displayName: route?.name ?? '', domain: tenant.domain },
      { codecs: tenant.codecs, tones: tenant.tones },
    );
    call.throughTrunk(trunk.name, 'inbound');
    this.calls.add(call);
    this.byInvite.set(tx, call);
    const owned = {
      tenantId: tenant.id,
      timeZone: tenant.timeZone,
      maxExternalCalls: tenant.maxExternalCalls,
      // Calls from outside use a channel but are not the tenant's minutes or spend.
      dailyExternalMinutes: null,
      dailySpendCap: null,
      spendAlertPercent: 100,
      extension: null,
    };
    const refusal = this.carriers.limits.check(owned);
    const channel = !refusal && this.carriers.trunks.acquire(trunk.id);
    (async () => {
      if (!(await call.open())) {
        if (channel) this.carriers.trunks.release(trunk.id);
        return;
      }
      if (refusal || !channel) {
        const r = refusal ?? { status: 503, cause: 'channel-limit', reason: 'All Trunk Channels In Use' };
        call.step({ kind: 'trunk', id: trunk.id, name: trunk.name, outcome: r.reason });
        call.finish(r.status, r.cause, r.reason);
        return;
      }
      const ticket = this.carriers.limits.take(owned, false, this.txContext.clock.now());
      // The outside caller holds the channel until it leaves, wherever a transfer takes it.
      call.holdUntilEnd(() => {
        this.carriers.trunks.release(trunk.id);
        ticket.end(this.txContext.clock.now());
      }, 'A');
      call.step({ kind: 'trunk', id: trunk.id, name: trunk.name, outcome: `called ${did}` });
      await this.identifyCaller(call, tenant.id, caller);
      if (call.state !== 'ringing') return;
      await this.router.route(call, tenant, dest);
    })().catch((e: unknown) => {
      this.log.error({ err: e }, 'call from a trunk failed');
      call.abort();
    });
    return null;
  }

  /** A dialled feature code: a service the PBX answers itself, a setting changed, or a pickup. */
  private featureCall(
    feature: Feature,
    arg: string,
    req: SipRequest,
    tx: InviteServerTransaction,
    source: Destination,
    tenant: TenantEntry,
    caller: ExtensionEntry,
    callerParty: CallParty,
  ): SipResponse | null {
    if (feature === 'parkRetrieve') {
      const slot = Number.parseInt(arg, 10);
      return this.parking.retrieve(tenant.id, slot, req, tx, source, callerParty)
        ? null
        : makeResponse(req, 404, { reason: 'Nothing Parked There' });
    }
    if (feature === 'intercom') return this.intercom(arg, req, tx, source, tenant, callerParty);
    if (feature === 'parkCall') return makeResponse(req, 404, { reason: 'Transfer A Call Here To Park It' });
    if ((feature === 'voicemail' || feature === 'voicemailAny') && !this.voicemail)
      return makeResponse(req, 404, { reason: 'No Voicemail' });
    if (feature === 'pickup' || feature === 'directedPickup') {
      const target = this.callToPickUp(tenant, caller.number, feature === 'directedPickup' ? arg : null);
      if (!target) return makeResponse(req, 404, { reason: 'Nothing To Pick Up' });
      target.step({
        kind: 'pickup',
        id: caller.id,
        name: `${caller.displayName || caller.number} (${caller.number})`,
        outcome: 'answered',
      });
      target.pickUp(req, tx, source, callerParty).catch((e: unknown) => {
        this.log.error({ err: e }, 'pickup failed');
        tx.respond(makeResponse(req, 500));
      });
      return null;
    }
    let app: App | null = null;
    if (feature === 'page') {
      const members = this.pageMembers(tenant, arg, caller.number);
      if (!members) return makeResponse(req, 404, { reason: 'No Such Group' });
      app = pagingApp(this.callContext, callerParty, members, tenant.codecs);
    }
    if ((feature === 'voicemail' || feature === 'voicemailAny') && this.voicemail)
      app = voicemailMenu(
        this.voicemail,
        this.store,
        tenant,
        caller,
        tenant.tones,
        feature === 'voicemail' ? 'own' : 'any',
        arg,
      );
    app ??=
      feature === 'echoTest'
        ? echoTest
        : feature === 'keyReadback'
          ? keyReadback
          : feature === 'conference'
            ? conferenceRoom
            : settingApp(feature, arg, this.settingActions(tenant, caller));
    const call = new AppCall(
      this.callContext,
      req,
      tx,
      source,
      callerParty,
      { tenantId: tenant.id, number: req.uri.user ?? '', displayName: '', domain: tenant.domain },
      tenant.language,
      tenant.codecs,
      app,
    );
    this.calls.add(call);
    this.byInvite.set(tx, call);
    call.start().catch((e: unknown) => {
      this.log.error({ err: e }, 'application call failed');
      call.abort();
    });
    return null;
  }

  /**
   * Who a page reaches: the group's members with a phone registered (browser
   * softphones when the WebRTC gateway runs), not on DND and not on the phone.
   * Null: no such group.
   */
  private pageMembers(tenant: TenantEntry, groupNumber: string, pager: string): PageMember[] | null {
    const group = tenant.routingByNumber.get(groupNumber);
    if (group?.kind !== 'ringGroup') return null;
    const out: PageMember[] = [];
    for (const m of (group.config as RingGroupConfig).members) {
      const ext = tenant.extensions.get(m.number);
      if (!ext || ext.dnd || ext.number === pager || this.callsOf(tenant.id, ext.number) > 0) continue;
      const bindings = this.location
        .lookup(aorOf(tenant.id, ext.number), Date.now())
        // Browsers are paged through the WebRTC gateway (when it runs).
        .filter((b) => this.callContext.webrtc !== null || !isBrowserBinding(b));
      if (bindings.length)
        out.push({
          party: {
            tenantId: tenant.id,
            number: ext.number,
            displayName: ext.displayName,
            domain: tenant.domain,
          },
          bindings,
        });
    }
    return out;
  }

  /** Intercom (*80 + extension): its phones are asked to answer by themselves, on the speaker. */
  private intercom(
    number: string,
    req: SipRequest,
    tx: InviteServerTransaction,
    source: Destination,
    tenant: TenantEntry,
    callerParty: CallParty,
  ): SipResponse | null {
    const ext = tenant.extensions.get(number);
    if (!ext) return makeResponse(req, 404);
    // DND is respected: an intercom call is still a call.
    if (ext.dnd) return makeResponse(req, 486);
    const bindings = this.location.lookup(aorOf(tenant.id, ext.number), Date.now());
    if (bindings.length === 0) return makeResponse(req, 480);
    const party = {
      tenantId: tenant.id,
      number: ext.number,
      displayName: ext.displayName,
      domain: tenant.domain,
    };
    const call = new Call(this.callContext, req, tx, source, callerParty, party, {
      codecs: tenant.codecs,
      tones: tenant.tones,
    });
    this.calls.add(call);
    this.byInvite.set(tx, call);
    (async () => {
      if (!(await call.open())) return;
      call.step({ kind: 'intercom', id: ext.id, name: ext.number, outcome: 'auto-answer asked' });
      const outcome = await call.ring([{ party, bindings, delaySec: 0, timeoutSec: ext.ringTimeoutSec }], {
        timeoutSec: ext.ringTimeoutSec,
        autoAnswer: true,
      });
      if (outcome.kind === 'unanswered') call.finish(outcome.status, outcome.cause, outcome.reason);
    })().catch((e: unknown) => {
      this.log.error({ err: e }, 'intercom call failed');
      call.abort();
    });
    return null;
  }

  /**
   * The ringing call a pickup takes: one ringing `directed`, or else one ringing a
   * colleague in a ring group with the picker (or ringing the group itself).
   */
  private callToPickUp(tenant: TenantEntry, picker: string, directed: string | null): Call | null {
    const colleagues = new Set<string>();
    if (directed === null)
      for (const o of tenant.routing.values()) {
        if (o.kind !== 'ringGroup') continue;
        const members = (o.config as RingGroupConfig).members.map((m) => m.number);
        if (members.includes(picker)) for (const m of members) if (m !== picker) colleagues.add(m);
      }
    let oldest: Call | null = null;
    for (const call of this.calls) {
      if (!(call instanceof Call) || call.state !== 'ringing' || call.caller.tenantId !== tenant.id) continue;
      if (call.caller.number === picker) continue;
      const ringing = call.ringingNumbers();
      const wanted = directed !== null ? ringing.includes(directed) : ringing.some((n) => colleagues.has(n));
      // The call waiting longest is taken first (the set keeps calls in the order they came).
      if (wanted) oldest ??= call;
    }
    return oldest;
  }

  /** What setting codes change, saved like a portal change: audited, and in the snapshot for the next call. */
  private settingActions(tenant: TenantEntry, ext: ExtensionEntry): SettingActions {
    const scope = this.store.tenant(tenant.id);
    const actor = {
      type: 'system' as const,
      id: ext.id,
      label: `extension ${ext.number} (feature code)`,
      ip: null,
    };
    const updateExt = async (patch: {
      dnd?: boolean;
      forwarding?: ExtensionEntry['forwarding'];
      status?: ExtensionEntry['status'];
    }) => {
      await this.store.transaction(async (tx) => {
        const s = tx.tenant(tenant.id);
        const before = await s.extensions.get(ext.id);
        const after = before && (await s.extensions.update(ext.id, patch));
        if (!before || !after) return;
        await s.audit.record(actor, {
          action: 'extension.update',
          resourceType: 'extension',
          resourceId: ext.id,
          before: { dnd: before.dnd, forwarding: before.forwarding, status: before.status },
          after: { dnd: after.dnd, forwarding: after.forwarding, status: after.status },
        });
      });
      await this.tenantChanged(tenant.id);
    };
    return {
      setDnd: (on) => updateExt({ dnd: on }),
      setStatus: (status) => updateExt({ status }),
      setForwardAlways: async (target) => {
        if (target !== null && (target === ext.number || !destinationForNumber(tenant, target))) return false;
        // Forwarding back here through others' unconditional forwards would loop: refused as the API does.
        for (let n = target, hops = 0; n !== null && hops < 20; hops++) {
          const next = tenant.extensions.get(n)?.forwarding.always;
          if (!next?.enabled) break;
          if (next.target === ext.number) return false;
          n = next.target;
        }
        await updateExt({
          forwarding: {
            ...ext.forwarding,
            always: target === null ? { enabled: false, target: '' } : { enabled: true, target },
          },
        });
        return true;
      },
      overrideCalendars: async (state, index) => {
        const owner = ext.userId ? await scope.users.get(ext.userId) : undefined;
        if (!owner || (owner.role !== 'tenant_admin' && owner.role !== 'supervisor')) return 'forbidden';
        const calendars = (await scope.routing.all()).filter((o) => o.kind === 'calendar');
        const chosen = index === null ? calendars : calendars.slice(index - 1, index);
        if (chosen.length === 0) return 'none';
        await this.store.transaction(async (tx) => {
          const s = tx.tenant(tenant.id);
          for (const c of chosen) {
            const spec = c.config as CalendarSpec;
            const override = state === null ? null : { state, until: null };
            await s.routing.update('calendar', c.id, {
              name: c.name,
              number: null,
              config: { ...spec, override },
            });
            await s.audit.record(actor, {
              action: 'calendar.override',
              resourceType: 'calendar',
              resourceId: c.id,
              before: { override: spec.override },
              after: { override },
            });
          }
        });
        await this.tenantChanged(tenant.id);
        return 'done';
      },
      toggleAgentLogin: (queueNumber) => {
        const engine = this.queues;
        if (!engine) return 'none';
        const dynamic = engine
          .queuesOf(tenant, ext.number)
          .filter((q) => !q.member.static && (queueNumber === null || q.entry.number === queueNumber))
          .map((q) => q.entry.id);
        if (dynamic.length === 0) return 'none';
        const session = engine.sessions.get(tenant.id, ext.number);
        if (dynamic.some((id) => session.queues.has(id))) {
          engine.logout(tenant.id, ext.number, dynamic);
          return 'out';
        }
        engine.login(tenant.id, ext.number, dynamic);
        return 'in';
      },
      toggleAgentPause: (reason) => {
        const engine = this.queues;
        if (!engine || engine.queuesOf(tenant, ext.number).length === 0) return 'none';
        if (engine.sessions.get(tenant.id, ext.number).paused) {
          engine.unpause(tenant.id, ext.number);
          return 'unpaused';
        }
        engine.pause(tenant.id, ext.number, reason);
        return 'paused';
      },
    };
  }

  /** What transfers need of the SIP side: targets by number, dialogs by key (Replaces). */
  private transferDeps(): TransferDeps {
    return {
      layer: this.layer,
      sender: this.transports,
      clock: this.callContext.clock,
      localFor: (d) => this.localFor(d),
      resolve: (tenantId, number) => {
        const tenant = this.directory.tenantById(tenantId);
        let ext = tenant?.extensions.get(number);
        // The target's "forward everything" is followed (to another extension; at most a few hops,
        // so extensions forwarding to each other cannot loop).
        for (let hops = 0; ext?.forwarding.always.enabled && hops < 5; hops++) {
          const next = tenant?.extensions.get(ext.forwarding.always.target);
          if (!next || next === ext) break;
          ext = next;
        }
        if (!tenant || !ext) return null;
        return {
          party: { tenantId, number: ext.number, displayName: ext.displayName, domain: tenant.domain },
          // A target on DND is not disturbed by a transfer either.
          bindings: ext.dnd ? [] : this.location.lookup(aorOf(tenantId, ext.number), Date.now()),
          ringTimeoutSec: ext.ringTimeoutSec,
        };
      },
      resolveExternal: async (call, side, number) => {
        const tenant = this.directory.tenantById(call.caller.tenantId);
        const transferor = tenant?.extensions.get(call.partyOf(side).number);
        // Only an extension can answer for a call sent outside (its class, its limits).
        if (!tenant || !transferor)
          return { refused: { status: 403, reason: 'Only Extensions Transfer Outside' } };
        const ctx = { env: this.routerEnv, tenant, external: false, markExternal: () => {} };
        // The outside party takes the transferor's side: what it holds goes with that side.
        const host = {
          caller: call.caller,
          step: (st: Parameters<Call['step']>[0]) => call.step(st),
          throughTrunk: (name: string, direction: 'inbound' | 'outbound') =>
            call.throughTrunk(name, direction),
          holdUntilEnd: (release: Release) => call.holdUntilEnd(release, side),
          addCost: (minor: number) => call.addCost(minor),
          cutOff: (cause: string) => call.cutOff(cause),
        };
        const x = await externalRingTarget(ctx, host, number, transferor.id, 0, EXTERNAL_TRANSFER_RING_SEC);
        if ('refused' in x) return x;
        const { party, bindings, trunk } = x.target;
        return {
          dest: { party, bindings, ringTimeoutSec: EXTERNAL_TRANSFER_RING_SEC, ...(trunk ? { trunk } : {}) },
          settle: x.settle,
        };
      },
      routeTo: (call, _side, number) => {
        const tenant = this.directory.tenantById(call.caller.tenantId);
        const dest = tenant ? destinationForNumber(tenant, number) : null;
        if (!tenant || !dest || dest.kind === 'extension') return null;
        const named = tenant.routingByNumber.get(number);
        return {
          name: named ? `${named.name} (${number})` : number,
          run: (routed) => this.router.route(routed, tenant, dest),
        };
      },
      dialogOwner: (key) => this.dialogs.get(key),
      park: (call, side, target, req, tx) => {
        const tenant = this.directory.tenantById(call.caller.tenantId);
        if (!tenant || target !== effectiveCodes(tenant.featureCodes).parkCall) return false;
        this.parking.park(call, side, req, tx);
        return true;
      },
    };
  }

  /** Calls parked on this node, per tenant and slot. */
  get parking(): ParkingLot {
    this.parkingLot ??= new ParkingLot({
      ...this.transferDeps(),
      language: (tenantId) => this.directory.tenantById(tenantId)?.language ?? 'en',
    });
    return this.parkingLot;
  }

  /**
   * Answered calls `number` is on now: what "skip busy members", "first not on
   * the phone" and a queue agent's call limit look at.
   */
  private callsOf(tenantId: string, number: string): number {
    let n = 0;
    for (const call of this.calls) {
      if (call.state !== 'answered') continue;
      if (call.caller.tenantId !== tenantId) continue;
      if (
        (call.caller.number === number && present(call, 'A')) ||
        (call.callee.number === number && present(call, 'B'))
      )
        n++;
    }
    return this.remote ? n + this.remote.answeredOn(tenantId, number) : n;
  }

  /**
   * Call queues: the engine, agents' logins and pauses as they were before a
   * restart, and statistics written every 10 seconds (and at shutdown).
   */
  private async startQueues(clock: Clock): Promise<void> {
    const agentWrites = new Map<string, Promise<void>>();
    const engine = new QueueEngine(
      {
        clock,
        now: () => new Date(),
        random: Math.random,
        tenant: (id) => this.directory.tenantById(id),
        bindingsOf: (tenantId, number) => this.location.lookup(aorOf(tenantId, number), Date.now()),
        callsOf: (tenantId, number) => this.callsOf(tenantId, number),
        persistAgent: (tenantId, number, session) => {
          // Written in order per agent, off the call path; a failed write is logged, the state stays live.
          const key = `${tenantId}/${number}`;
          const row = {
            number,
            queues: [...session.queues],
            paused: session.paused,
            pauseReason: session.pauseReason,
          };
          const write = (agentWrites.get(key) ?? Promise.resolve())
            .then(() => this.store.tenant(tenantId).queueAgents.save(row))
            .catch((err: unknown) =>
              this.log.error({ err, tenantId, number }, 'saving a queue agent failed'),
            );
          agentWrites.set(key, write);
          void write.then(() => {
            if (agentWrites.get(key) === write) agentWrites.delete(key);
          });
          // The other nodes' queues offer calls by this agent's logins and pauses too.
          this.announce?.({ kind: 'agent', tenantId, ...row });
        },
        emit: (e) => this.events.emit(e),
        callsBrowsers: () => this.callContext.webrtc !== null,
        // In a cluster: agents rung and callers waiting on the other nodes (none on a single node).
        ...(this.remote
          ? {
              remoteOffered: (tenantId: string, number: string) =>
                this.remote?.offeredTo(tenantId, number) ?? false,
              remoteWaiting: (tenantId: string, queueId: string) =>
                this.remote?.waiting(tenantId, queueId) ?? [],
            }
          : {}),
        ...(this.lineWatch ? { lineChanged: this.lineWatch } : {}),
      },
      new MemoryAgentSessions(() => new Date().toISOString().slice(0, 10)),
    );
    for (const tenant of this.directory.all())
      for (const a of await this.store.tenant(tenant.id).queueAgents.all())
        engine.restore(tenant.id, a.number, a.queues, a.paused, a.pauseReason);
    // Agents whose phones are on DND at start are paused from now.
    for (const tenant of this.directory.all()) engine.dndChanged(tenant);
    // Today's figures stored before a restart still count on the wallboards.
    const now = new Date();
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    for (const tenant of this.directory.all()) {
      const rows = await this.store
        .tenant(tenant.id)
        .queueAgents.stats({ from: dayStart, to: new Date(dayStart.getTime() + 86_400_000) });
      engine.stats.addBaseline(
        rows.map((r) => ({
          ...r,
          figures: { ...(r.agent === '' ? emptyQueueFigures() : emptyAgentFigures()), ...r.figures } as
            | QueueFigures
            | AgentFigures,
        })),
      );
    }
    this.statsLog = new QueueStatsLog(this.store.db, `${this.callContext.node}/${randomUUID().slice(0, 8)}`);
    this.statsFlush = setInterval(() => void this.flushQueueStats(), 10_000);
    this.statsFlush.unref();
    engine.dialer = callbackDialer({
      ctx: this.callContext,
      bindingsOf: (tenantId, number) => this.location.lookup(aorOf(tenantId, number), Date.now()),
      track: (leg) => this.calls.add(leg),
      controlled: (id, tenantId, numbers, hangup) => this.control.register(id, tenantId, numbers, hangup),
      outside: (tenant, number, host, ringSec, onBehalfOf) =>
        externalRingTarget(
          { env: this.routerEnv, tenant, external: false, markExternal: () => {} },
          host,
          number,
          onBehalfOf,
          0,
          ringSec,
          // A callback dials a number the caller presented: never abroad (queue.ts callableBack).
          // A click-to-call is the extension's own call: its class decides.
          onBehalfOf ? undefined : 'national',
        ),
    });
    this.queues = engine;
    this.routerEnv.queues = engine;
  }

  /** Originate, hang up and transfer through the API (call-control.ts). */
  get control(): CallControl {
    this.callControl ??= new CallControl({
      ctx: this.callContext,
      tenant: (id) => this.directory.tenantById(id),
      bindingsOf: (tenantId, number) => this.location.lookup(aorOf(tenantId, number), Date.now()),
      calls: this.calls,
      route: (call, tenant, first) => this.router.route(call, tenant, first),
      outside: (tenant, number, host, ringSec, onBehalfOf, callerId) =>
        externalRingTarget(
          { env: this.routerEnv, tenant, external: false, markExternal: () => {} },
          host,
          number,
          onBehalfOf,
          0,
          ringSec,
          undefined,
          callerId,
        ),
      transferDeps: () => this.transferDeps(),
      log: this.log,
    });
    return this.callControl;
  }

  /**
   * Click-to-call (the API, a CRM): rings `from`'s phone; once it answers (hearing ringback),
   * dials `to` — another extension, or an outside number as `from`'s own call (its class and
   * limits) — and joins the two. Refused at once when it cannot work; what happens next is
   * on the call record.
   */
  clickToCall(
    tenantId: string,
    from: string,
    to: string,
  ): { ok: true } | { ok: false; status: number; code: string; reason: string } {
    const dialer = this.queues?.dialer;
    if (!dialer)
      return { ok: false, status: 503, code: 'unavailable', reason: 'Calls need the media engine' };
    const tenant = this.directory.tenantById(tenantId);
    const ext = tenant?.extensions.get(from);
    if (!tenant || !ext)
      return { ok: false, status: 404, code: 'no-extension', reason: `No extension ${from}` };
    if (this.location.lookup(aorOf(tenantId, from), Date.now()).length === 0)
      return {
        ok: false,
        status: 409,
        code: 'not-registered',
        reason: `Extension ${from} has no registered phone`,
      };
    if (to === from)
      return { ok: false, status: 400, code: 'same', reason: 'An extension cannot call itself' };
    const callee = tenant.extensions.get(to);
    if (callee?.dnd)
      return { ok: false, status: 409, code: 'dnd', reason: `Extension ${to} is on do not disturb` };
    if (!callee) {
      if (tenant.routingByNumber.has(to))
        return {
          ok: false,
          status: 400,
          code: 'not-a-phone',
          reason: `${to} is a ${tenant.routingByNumber.get(to)!.kind}: click-to-call reaches extensions and outside numbers`,
        };
      // Everything an outside call of this extension's would be refused for, checked now.
      const refused = externalRefusal(
        { env: this.routerEnv, tenant, external: false, markExternal: () => {} },
        {
          caller: { tenantId, number: from, displayName: ext.displayName, domain: tenant.domain },
          step: () => {},
          throughTrunk: () => {},
          holdUntilEnd: () => {},
          addCost: () => {},
          cutOff: () => {},
        },
        to,
        ext.id,
      );
      if (refused) return { ok: false, status: refused.status, code: refused.cause, reason: refused.reason };
    }
    void dialer
      .connect({
        tenant,
        queueId: '',
        queueName: '',
        agents: [from],
        caller: { number: to, name: tenant.extensions.get(to)?.displayName ?? '' },
        agentRingSec: ext.ringTimeoutSec,
        callerRingSec: 45,
        clickToCall: { extensionId: ext.id },
      })
      .catch((err: unknown) => this.log.error({ err, tenantId, from, to }, 'click-to-call failed'));
    return { ok: true };
  }

  /** Queue statistics changed since the last flush go to the database in one statement. */
  async flushQueueStats(): Promise<void> {
    const rows = this.queues?.stats.drain() ?? [];
    if (!this.statsLog || rows.length === 0) return;
    try {
      await this.statsLog.save(
        rows.map((r) => ({ ...r, figures: r.figures as unknown as Record<string, unknown> })),
      );
    } catch (err) {
      // Each row is the interval's whole figures: the next flush writes them again.
      this.queues?.stats.unsaved(rows);
      this.log.error({ err, rows: rows.length }, 'saving queue statistics failed; will retry');
    }
  }

  /**
   * A new subscription (RFC 6665). The subscriber proves who it is like a caller
   * does, and may only watch extensions of its own tenant.
   */
  private subscribe(req: SipRequest, tx: ServerTransaction, source: Destination): SipResponse | null {
    const refused = this.checkRequest(req);
    if (refused) return refused;
    const authn = this.authenticate(req, source, false, 'From');
    if (!authn.ok) return authn.response;
    const pkg = this.notifier.packageFor(req);
    if (!('event' in pkg)) return pkg;
    const full = this.defences.admitSubscription(this.notifier.count, req, source);
    if (full) return full;
    const target = req.uri.user ? authn.tenant.extensions.get(req.uri.user) : undefined;
    if (!target) return makeResponse(req, 404);
    // Message-waiting: a phone watches its own mailbox only.
    if (pkg.event === 'message-summary' && target.number !== authn.ext.number) return makeResponse(req, 403);
    this.notifier.subscribe(req, tx, source, lampResource(authn.tenant.id, target.number), authn.ext.number);
    return null;
  }

  /** A page-mode MESSAGE (RFC 3428) from one extension to another. */
  private message(req: SipRequest, tx: ServerTransaction, source: Destination): SipResponse | null {
    const refused = this.checkRequest(req);
    if (refused) return refused;
    const authn = this.authenticate(req, source, true, 'From');
    if (!authn.ok) return authn.response;
    const { tenant, ext: sender } = authn;
    const to = req.uri.user ? tenant.extensions.get(req.uri.user) : undefined;
    if (!to) return makeResponse(req, 404);
    if (!req.body.length) return makeResponse(req, 400, { reason: 'Empty Message' });
    const bindings = this.location.lookup(aorOf(tenant.id, to.number), Date.now());
    if (bindings.length === 0) return makeResponse(req, 480);
    relayMessage(
      this.layer,
      (d) => this.localFor(d),
      req,
      tx,
      { number: sender.number, displayName: sender.displayName, domain: tenant.domain },
      { number: to.number, displayName: to.displayName, domain: tenant.domain },
      bindings,
    );
    return null;
  }

  /** What a busy lamp shows for one extension: the calls that touch it, on this node and (in a cluster) the others. */
  private dialogsOf(resource: string): ExtensionDialog[] {
    const out: ExtensionDialog[] = [];
    const slash = resource.indexOf('/');
    const tenantId = resource.slice(0, slash);
    const number = resource.slice(slash + 1);
    for (const call of this.calls) {
      const view = this.callView(call);
      if (view && view.tenantId === tenantId) out.push(...dialogsOn(view, number));
    }
    if (this.remote)
      for (const c of this.remote.callsTouching(tenantId, number)) out.push(...dialogsOn(c, number));
    return out;
  }

  /**
   * One of this node's calls as the other nodes and the busy lamps see it (null once it ended):
   * the parties still on it and the extensions it rings.
   */
  callView(call: ActiveCall): LocalCallView | null {
    if (call.state === 'ended') return null;
    const tenantId = call.caller.tenantId;
    const recordId = call instanceof Call || call instanceof AppCall ? call.recordId : null;
    const parties: LocalCallView['parties'] = [];
    if (present(call, 'A')) parties.push({ number: call.caller.number, side: 'A' });
    if (present(call, 'B') && call.callee.tenantId === tenantId)
      parties.push({ number: call.callee.number, side: 'B' });
    return {
      tenantId,
      recordId,
      sipCallId: call.invite.headers.get('Call-ID') ?? '',
      state: call.state,
      parties,
      ringing: call instanceof Call ? call.ringingNumbers() : [],
      live: recordId ? (this.live.call(tenantId, recordId) ?? null) : null,
    };
  }

  /**
   * Another node's call or queue caller changed (src/cluster/attach.ts): the lamps of the
   * extensions it touched follow, and the queues those extensions answer look again at who is
   * free (only theirs: every node telling every queue of the tenant would multiply updates).
   */
  remoteActivity(tenantId: string, numbers: Iterable<string>): void {
    const touched = new Set(numbers);
    for (const n of touched) this.notifier.notify('dialog', lampResource(tenantId, n));
    const engine = this.queues;
    const tenant = engine ? this.directory.tenantById(tenantId) : undefined;
    if (engine && tenant)
      for (const n of touched) if (engine.queuesOf(tenant, n).length) engine.agentChanged(tenantId, n);
  }

  /** The numbers whose lamps a call lit last time (so the ones it no longer touches go dark). */
  private readonly lit = new WeakMap<ActiveCall, Set<string>>();

  private lampsChanged(call: ActiveCall): void {
    this.queues?.tenantActivity(call.caller.tenantId);
    const now = new Set<string>();
    if (call.state !== 'ended') {
      now.add(call.caller.number).add(call.callee.number);
      if (call instanceof Call) for (const n of call.ringingNumbers()) now.add(n);
    }
    const touched = new Set([...(this.lit.get(call) ?? []), ...now, call.caller.number, call.callee.number]);
    for (const n of touched) this.notifier.notify('dialog', lampResource(call.caller.tenantId, n));
    this.lit.set(call, now);
    this.callWatch?.(call);
  }

  /**
   * A mailbox's counts changed: its extension's message-summary subscribers are
   * told; phones that never subscribed get an unsolicited NOTIFY at each contact.
   */
  mwiChanged(tenantId: string, number: string): void {
    const resource = lampResource(tenantId, number);
    this.notifier.notify('message-summary', resource);
    const subscribed = this.notifier
      .subscriptions()
      .some((s) => s.event === 'message-summary' && s.resource === resource && s.state === 'active');
    const tenant = this.directory.tenantById(tenantId);
    if (subscribed || !tenant || !this.voicemail) return;
    const bindings = this.location.lookup(aorOf(tenantId, number), Date.now());
    if (bindings.length === 0) return;
    void this.voicemail.summary(tenantId, number).then((summary) => {
      if (!summary) return;
      for (const b of bindings) {
        const req = unsolicitedNotify(this.localFor(b.source), b, `sip:${number}@${tenant.domain}`, summary);
        if (req) this.layer.sendRequest(req, b.source, { response: () => {}, timeout: () => {} });
      }
    });
  }

  /** Refusals that come before any routing: unknown URI scheme (416), loops (483). */
  private checkRequest(req: SipRequest): SipResponse | null {
    if (!isKnownScheme(req.uri)) return makeResponse(req, 416);
    const mf = Number.parseInt(req.headers.get('Max-Forwards') ?? '70', 10);
    if (mf <= 0) return makeResponse(req, 483);
    return null;
  }

  /** The UA core's answer to an out-of-dialog request other than INVITE. */
  private answer(req: SipRequest, source: Destination): SipResponse {
    const refused = this.checkRequest(req);
    if (refused) return refused;
    switch (req.method) {
      case 'REGISTER':
        return this.registered(req, source, this.registrar.handle(req, source));
      case 'OPTIONS': {
        if (this.isUserOptions(req) && !this.trunkOf(req, source)) {
          const authn = this.authenticate(req, source, true, 'From');
          if (!authn.ok) return authn.response;
        }
        return makeResponse(req, 200, {
          headers: [
            ['Allow', ALLOW],
            ['Accept', 'application/sdp'],
            ['Allow-Events', this.notifier.allowEvents],
          ],
        });
      }
      case 'BYE':
      case 'CANCEL':
        return makeResponse(req, 481);
      default:
        return makeResponse(req, 405, { headers: [['Allow', ALLOW]] });
    }
  }

  /**
   * An OPTIONS to a user (`sip:101@…`) rather than to the server: it would be that user's
   * to answer, so a stranger is challenged first, as for a call, and an unknown number
   * cannot be told from a real one. OPTIONS to the server itself (pings from phones, load
   * balancers and carriers) are answered to anyone.
   */
  private isUserOptions(req: SipRequest): boolean {
    return req.method === 'OPTIONS' && req.uri.user !== null && req.uri.user !== '';
  }

  /** Digest authentication of a phone's request, realm from its Request-URI. */
  private authenticate(req: SipRequest, source: Destination, proxy: boolean, party: 'To' | 'From') {
    const realm = req.uri.host.toLowerCase();
    // Failures and bans go by the phone's address when a trusted proxy relayed the request.
    const judged = this.proxies.clientOf(req, source);
    const outcome = authenticate(req, this.directory, this.auth, {
      proxy,
      party,
      realm,
      source: judged,
      watch: this.guard,
    });
    if (outcome.ok) this.defences.vouch(outcome.tenant.id, judged);
    return outcome;
  }

  /**
   * A REGISTER answered: when accepted, its phone is one of the tenant's own (the
   * per-tenant limit keeps a budget for those), and a connection it came over is
   * kept open while the registration lives, however quiet the phone is.
   */
  private registered(req: SipRequest, source: Destination, res: SipResponse): SipResponse {
    if (res.status !== 200) return res;
    const tenant = this.directory.tenantByDomain(req.uri.host);
    let longest = 0;
    for (const c of res.headers.getAll('Contact')) {
      const m = /;\s*expires\s*=\s*(\d+)/i.exec(c);
      if (m) longest = Math.max(longest, Number(m[1]));
    }
    const until = this.txContext.clock.now() + longest * 1000;
    if (tenant) this.defences.vouch(tenant.id, this.proxies.clientOf(req, source), until);
    if (source.flowId && longest > 0) this.transports.keepFlow(source.flowId, until);
    return res;
  }

  /** Lifts a ban early (on every node of a cluster) and records who did; the ban lifted, or null. */
  liftBan(ip: string, user: string | null, by: string): Ban | null {
    const ban = this.guard.banOf(ip, user);
    if (!ban) return null;
    this.guard.lift(ip, user);
    this.securityLog.record({
      kind: 'unban',
      ip: ban.ip,
      user,
      realm: ban.realm,
      method: null,
      transport: null,
      reason: by,
      until: null,
    });
    return ban;
  }

  /** Security counters and how full each bounded table is (/metrics). */
  securityCounts() {
    const d = this.defences;
    const g = this.guard.tracked;
    const cap = this.guard.capacity;
    return {
      events: { ...this.securityLog.counts },
      dropped: {
        scanner: this.scanners.dropped,
        flood: this.flood.dropped,
        tenant: d.tenantLimit.stats.dropped,
      },
      refused: {
        ...d.refused,
        'tenant-rate': d.tenantLimit.stats.refused,
        connections: this.transports.guard.stats.refused,
        'silent-connections': this.transports.guard.stats.closedSilent,
      },
      tables: {
        'server-transactions': { size: this.layer.activeServerCount, max: this.layer.maxServerTransactions },
        'client-transactions': { size: this.layer.clientCount, max: this.layer.maxClientTransactions },
        calls: { size: this.calls.size, max: d.opts.maxCalls },
        subscriptions: { size: this.notifier.count, max: d.opts.maxSubscriptions },
        nonces: this.auth.nonceRecords,
        'rate-limit-addresses': { size: this.flood.tracked, max: this.flood.maxTracked },
        'auth-failures-by-user': { size: g.users, max: cap },
        'auth-failures-by-address': { size: g.ips, max: cap },
        bans: { size: g.bans, max: cap },
        'tenant-known-addresses': { size: d.tenantLimit.knownCount, max: d.tenantLimit.maxKnown },
      },
    };
  }

  private decorate<T extends { headers: { append(n: string, v: string): void } }>(res: T): T {
    if (this.opts.serverHeader) res.headers.append('Server', this.opts.serverHeader);
    return res;
  }

  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    if (this.capCheck) clearInterval(this.capCheck);
    const open = [...this.calls];
    for (const call of open) call.hangup('A', 'shutdown');
    await Promise.all(open.map((c) => c.flushed()));
    if (this.retention) clearInterval(this.retention);
    await this.recordings?.flushed();
    if (this.statsFlush) clearInterval(this.statsFlush);
    this.queues?.close();
    await this.flushQueueStats();
    await this.mailer?.close();
    await this.notifier.close();
    await this.carriers.stop();
    this.layer.close();
    await this.transports.close();
    await this.callContext.webrtc?.close();
    await this.callContext.media?.close();
  }

  /** The media engine, when calls are anchored (health and tests). */
  get media(): MediaEngine | null {
    return this.callContext.media;
  }
}
