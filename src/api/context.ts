/** Types shared by the API's routes: the typed Fastify instance, the principal, and dependencies. */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Ban } from '../pbx/auth-guard.js';
import type { ControlDestination, ControlRefusal, OriginateRequest } from '../pbx/call-control.js';
import type { LiveCall, LiveRegistration, PbxEvent } from '../pbx/events.js';
import type { AgentStatus, QueueLive } from '../pbx/queue/engine.js';
import type { RecordingStorage } from '../pbx/recording/storage.js';
import type { SecurityEvent, SecurityEventKind } from '../pbx/security-events.js';
import type { TrunkStatus } from '../pbx/trunks/trunk-set.js';
import type { Actor } from '../store/repositories/audit.js';
import type { Role } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { IntegrationHub } from './integrations/hub.js';
import type { Access, Permission } from './permissions.js';
import type { RecordingLinks } from './recording-links.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export type Api = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface Principal {
  kind: 'user' | 'apiKey';
  /** User id or API key id. */
  id: string;
  /** The signed-in user; null for API keys. */
  userId: string | null;
  role: Role;
  /** null for operators (platform-wide). */
  tenantId: string | null;
  /** Email or "API key <name>", for the audit log. */
  label: string;
  /** Hash of the session token, for sign-out. */
  sessionId: string | null;
}

/** A readiness check: name and a function that throws when the dependency is not ready. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
  /** Failing is expected at times (a node starting or stopping): not logged as a warning. */
  quiet?: boolean;
}

export interface LiveSource {
  snapshot(tenantId: string): { calls: LiveCall[]; registrations: LiveRegistration[] };
  subscribe(listener: (e: PbxEvent) => void): () => void;
}

/** Trunks as they run (registrations, health checks, channels in use): the SIP service's. */
export interface TrunkSource {
  status(): TrunkStatus[];
  /** A tenant's external minutes and spend so far today, as this node counted them. */
  usage?(tenantId: string): { answeredSeconds: number; spent: number; activeCalls: number } | null;
}

/** The SIP side's security events and bans (this node's; src/pbx/security-events.ts). */
export interface SecuritySource {
  events(filter: { tenantId?: string; kind?: SecurityEventKind; limit?: number }): SecurityEvent[];
  bans(): Ban[];
  /**
   * Lifts the ban on exactly this address (user null) or this user from it, on every node of
   * a cluster, and records who did (an `unban` event); the ban lifted, or null when none.
   */
  lift?(ip: string, user: string | null, by: string): Ban | null;
  /** The tenant a SIP domain belongs to (a tenant admin lifts only bans of their own domain). */
  tenantOfRealm?(realm: string): string | null;
  /** The node's own allow-list (NIMBUS_SIP_ALLOW): shown beside the operator's, not editable. */
  settingsAllow?(): readonly string[];
  /** The operator's allow-list changed in the database: applied on this node now (others poll). */
  allowChanged?(): Promise<void>;
  /** Events since start by kind, and requests dropped unanswered (for /metrics). */
  counts?(): {
    events: Record<SecurityEventKind, number>;
    dropped: { scanner: number; flood: number; tenant?: number };
    /** Requests answered 503 by the tenant limit, work refused at each memory bound. */
    refused?: Record<string, number>;
    /** Entries held and the most held in each bounded table (transactions, calls, nonces, ...). */
    tables?: Record<string, { size: number; max: number }>;
  };
}

/** Call queues at work (the SIP service's queue engine). */
export interface QueueSource {
  all(tenantId: string): QueueLive[];
  liveOf(tenantId: string, queueId: string): QueueLive | null;
  agent(tenantId: string, number: string): AgentStatus | null;
  /** Logs in or out (of `queues`, or all the agent's queues when null), pauses or unpauses. */
  change(
    tenantId: string,
    number: string,
    c: { loggedIn?: boolean; queues: string[] | null; paused?: boolean; pauseReason: string },
  ): AgentStatus | null;
}

/** Where voicemail audio lives, and the lamps to update after a change made through the API. */
export interface VoicemailSource {
  /** `<dataDir>/voicemail` */
  dir: string;
  changed(tenantId: string, boxId: string): void;
}

export interface PlatformStatus {
  startedAt: Date;
  database: 'embedded' | 'postgresql';
  redis: boolean;
  sip: { registrations: number; activeCalls: number; connections: number };
  media: { workers: number; endpointsPerWorker: number[]; portMin: number; portMax: number } | null;
}

export interface ConnectInfo {
  /** The host name or address phones use (NIMBUS_PUBLIC_ADDRESS). */
  host: string;
  udp: number | null;
  tcp: number | null;
  tls: number | null;
  /** SIP over secure WebSocket (RFC 7118) for browsers: the HTTPS port, path /sip. */
  wss: number | null;
  ws: number | null;
}

/** A node of the cluster as its heartbeat in Redis describes it. */
export interface ClusterNodeView {
  id: string;
  startedAt: string;
  lastSeenAt: string;
  sip: string | null;
  http: string | null;
}

export interface ClusterView {
  node: string;
  nodes(): Promise<ClusterNodeView[]>;
}

export interface ApiDeps {
  store: Store;
  config: Pick<Config, 'sessionHours' | 'publicAddress'> & Partial<Pick<Config, 'softphoneWsUrl'>>;
  logger: FastifyBaseLogger;
  readiness?: ReadinessCheck[];
  /**
   * Called after a successful change under /api/v1/tenants: with the tenant's id,
   * or null when the set of tenants changed. The SIP side reloads its snapshot.
   */
  onTenantChange?: (tenantId: string | null) => Promise<void> | void;
  /**
   * Where phones reach this node, known once the listeners are bound (ports may
   * be chosen by the OS): shown on extensions' provisioning cards.
   */
  connectInfo?: () => ConnectInfo | null;
  /** Calls in progress, registered devices and their events (the SIP service); absent, live views are empty. */
  live?: LiveSource;
  /** `<dataDir>/audio`: the tenants' own audio files (IVR greetings); absent, uploads answer 503. */
  audioDir?: string;
  /** Trunks' live state (absent: trunks are shown without it). */
  trunks?: TrunkSource;
  /** Failed SIP authentications, bans and scanners (absent: none to show). */
  security?: SecuritySource;
  /** Call queues (absent: no media engine, queue views answer 503). */
  queues?: QueueSource;
  /** Calls placed on request (click-to-call); absent: refused 503. */
  callControl?: {
    clickToCall(
      tenantId: string,
      from: string,
      to: string,
    ): { ok: true } | { ok: false; status: number; code: string; reason: string };
    /** Dials a customer and routes them to a destination once they answer; absent: refused 503. */
    originate?(r: OriginateRequest): Promise<{ ok: true; id: string } | ControlRefusal>;
    /** The extensions on a live call (null: not live on any node for this tenant). */
    numbersOn?(tenantId: string, id: string): string[] | null;
    /**
     * Ends a live call (in a cluster, through the node carrying it); false: not live for this
     * tenant; a refusal when the node carrying it did not answer.
     */
    hangup?(tenantId: string, id: string): boolean | Promise<boolean | ControlRefusal>;
    /**
     * Blind-transfers one party of a live call. `by`: a user's own extensions (absent: an
     * admin); an outside number then needs the party let go to be one of them.
     */
    transfer?(
      tenantId: string,
      id: string,
      side: 'caller' | 'callee',
      to: { number: string } | { destination: ControlDestination },
      by?: readonly string[],
    ): Promise<{ ok: true } | ControlRefusal>;
  };
  /** The phonebook changed (the PBX reloads its caller-name index); absent: nothing to tell. */
  contactsChanged?: (tenantId: string) => Promise<void> | void;
  /** Webhook endpoints' outbox (absent: webhooks are stored but nothing is sent). */
  webhooks?: WebhookOutbox;
  /** Ticket systems and CRMs (absent: stored, but nothing is sent or looked up). */
  integrations?: IntegrationHub;
  /** Where call recordings are kept (absent: recordings are listed but their audio answers 503). */
  recordings?: RecordingStorage;
  /** Signed links to recordings for CRMs and tickets (absent: made on the public address's HTTPS port). */
  recordingLinks?: RecordingLinks;
  /** Voicemail files and lamps (absent: mailbox settings only; audio answers 503). */
  voicemail?: VoicemailSource;
  /** What this node is doing (SIP, media, which database), for the operator's health page. */
  platform?: () => PlatformStatus;
  /** The cluster this node belongs to (with REDIS_URL): its id and the live nodes by heartbeat. */
  cluster?: ClusterView;
  /** The built portal to serve (default web/dist); tests point it elsewhere or at nothing. */
  webRoot?: string;
  /** Injected clock, so session expiry and TOTP are testable. */
  now?: () => Date;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every /api/v1 route that is not public: enforced when the route is added. */
    permission?: Permission;
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    access: Access | null;
  }
}

export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  if (!p) return { type: 'system', id: null, label: 'anonymous', ip: req.ip };
  return { type: p.kind === 'user' ? 'user' : 'api_key', id: p.id, label: p.label, ip: req.ip };
}

/** The principal of an authenticated route (the auth hook guarantees it is set). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('principalOf used on a public route');
  return req.principal;
}
