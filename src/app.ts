/**
 * Composes a Nimbus node: configuration -> database (migrated) -> first-start
 * data -> HTTP API. `nimbus start` and the tests both start nodes through here.
 */

import { randomBytes } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { ConnectInfo, LiveSource } from './api/context.js';
import { EventsSocket } from './api/events-socket.js';
import type { ApiServer } from './api/server.js';
import { type Credentials, type DemoTenant, ensureFirstOperator, seedDemo } from './bootstrap.js';
import { attachCluster } from './cluster/attach.js';
import { SharedBans } from './cluster/bans.js';
import { type Cluster, defaultNodeId, openCluster } from './cluster/cluster.js';
import { connectRedis, redactUrl } from './cluster/redis.js';
import { type Config, sipAllowList, sipScannerAgentList, sipTrustedProxyList } from './config.js';
import { createLogger, type Logger } from './log.js';
import { CallerLookup } from './pbx/caller-lookup.js';
import { DiskStorage, S3Storage, s3OptionsFromUrl } from './pbx/recording/storage.js';
import { SipService } from './pbx/sip-service.js';
import { loadOrCreateCertificate } from './pbx/tls-certificate.js';
import type { DigestAlgorithm } from './sip/auth.js';
import { type DbHandle, openDatabase } from './store/connect.js';
import type { EmbeddedDb } from './store/embedded.js';
import { migrateToLatest } from './store/migrator.js';
import { Store } from './store/store.js';

export interface NimbusNode {
  config: Config;
  store: Store;
  api: ApiServer;
  logger: Logger;
  /** Base URL of the HTTP server as bound (port resolved when 0 was asked). */
  httpUrl: string;
  httpPort: number;
  /** The HTTPS server (portal, API and WSS at /sip) as bound. */
  httpsPort: number;
  engine: DbHandle['engine'];
  /** Set when this start created the first operator. */
  firstOperator: Credentials | null;
  /** Set when this start created the demo tenant. */
  demo: DemoTenant | null;
  sip: SipService;
  /** Ports the SIP transports listen on (resolved when 0 was asked). */
  sipPorts: { udp: number; tcp: number; tls: number };
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** PostgreSQL only: confine the node to this schema (tests). */
  schema?: string;
  /** PGlite only: keep the database in memory instead of dataDir (tests). */
  inMemory?: boolean;
  /** PGlite only: the embedded database, already being opened (`nimbus start` begins it first). */
  embedded?: Promise<EmbeddedDb>;
  /** Redis key prefix instead of NIMBUS_REDIS_PREFIX (tests: a cluster of their own). */
  redisPrefix?: string;
}

export async function startNode(config: Config, opts: StartOptions = {}): Promise<NimbusNode> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const started = Date.now();
  // The HTTP layer is loaded while the embedded database boots: both take the better
  // part of a second, and overlapping them keeps start-up under the 2 s target.
  const apiModule = import('./api/server.js');
  const dbHandle = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: opts.inMemory ? null : config.dataDir,
    ...(opts.schema ? { schema: opts.schema } : {}),
    ...(opts.embedded ? { embedded: opts.embedded } : {}),
  });
  let redis: Redis | null = null;
  let cluster: Cluster | null = null;
  const cleanups: (() => Promise<unknown>)[] = [() => dbHandle.close()];
  const closeAll = async () => {
    for (const c of cleanups.reverse())
      await c().catch((e: unknown) => logger.warn({ err: e }, 'shutdown step failed'));
  };
  try {
    const { applied } = await migrateToLatest(dbHandle.db);
    if (applied.length) logger.info({ applied }, 'database migrated');
    const store = new Store(dbHandle.db);

    if (config.redisUrl) {
      redis = await connectRedis(config.redisUrl);
      const r = redis;
      cleanups.push(async () => r.quit());
      logger.info({ redis: redactUrl(config.redisUrl) }, 'redis connected');
      // Shared location (and, below, node heartbeat and announcements): src/cluster/.
      const c = await openCluster(r, {
        prefix: opts.redisPrefix ?? config.redisPrefix,
        node: config.nodeId ?? defaultNodeId(config.sipPort),
        log: logger.child({ component: 'cluster' }),
      });
      cluster = c;
      cleanups.push(() => c.close());
    }

    // Digest nonces are signed with this secret; a restart only makes old nonces stale,
    // which phones answer by retrying. A cluster shares one through Redis (src/cluster/).
    const tls = await loadOrCreateCertificate({
      certFile: config.tlsCert,
      keyFile: config.tlsKey,
      dataDir: config.dataDir,
      hostName: config.publicAddress,
    });
    // Outside callers' names: the SIP service puts the tenant's phonebook first; CRM sources join after it.
    const callerLookup = new CallerLookup({
      onError: (source, err) => logger.warn({ err, source }, 'caller lookup failed'),
    });
    // Call recordings: made on local disk, kept there or in S3-compatible object storage.
    const recordingsDir = join(config.dataDir, 'recordings');
    const recordingStorage = config.recordingsS3
      ? new S3Storage(s3OptionsFromUrl(config.recordingsS3), recordingsDir, undefined, (key, err) =>
          logger.warn(
            { err, key },
            'recording kept on local disk: object storage refused it; sent again later',
          ),
        )
      : new DiskStorage(recordingsDir);
    const sip = new SipService(
      {
        recordings: recordingStorage,
        callerLookup,
        ...(cluster ? { node: cluster.node, location: cluster.location } : {}),
        host: config.sipHost,
        port: config.sipPort,
        publicAddress: config.publicAddress,
        secret: cluster?.secret ?? randomBytes(32),
        digestAlgorithms: config.sipDigest.split(',') as DigestAlgorithm[],
        serverHeader: config.sipServerHeader,
        security: {
          userFailures: config.sipBanUserFailures,
          ipFailures: config.sipBanIpFailures,
          windowMs: config.sipBanWindowSec * 1000,
          banMs: config.sipBanSec * 1000,
          allow: sipAllowList(config),
        },
        ...(sipScannerAgentList(config) ? { scannerAgents: sipScannerAgentList(config) } : {}),
        rateLimit: config.sipRateLimit,
        trustedProxies: sipTrustedProxyList(config),
        defences: {
          tenantRateLimit: config.sipTenantRateLimit,
          connections: {
            maxPerIp: config.sipMaxConnectionsPerIp,
            firstMessageMs: config.sipFirstMessageSec * 1000,
            idleMs: config.sipConnectionIdleSec * 1000,
          },
          maxServerTransactions: config.sipMaxTransactions,
          maxClientTransactions: config.sipMaxTransactions,
          maxCalls: config.sipMaxCalls,
          maxSubscriptions: config.sipMaxSubscriptions,
        },
        tls: { port: config.sipTlsPort, key: tls.key, cert: tls.cert },
        mohDir: join(config.dataDir, 'moh'),
        ttsDir: join(config.dataDir, 'tts'),
        pushSubject: `mailto:${config.adminEmail ?? 'admin@nimbus.local'}`,
        audioDir: join(config.dataDir, 'audio'),
        voicemail: {
          dir: join(config.dataDir, 'voicemail'),
          smtpUrl: config.smtpUrl,
          smtpFrom: config.smtpFrom,
          transcribeUrl: config.transcribeUrl,
          transcribeToken: config.transcribeToken,
          portalUrl: `https://${config.publicAddress}:${config.httpsPort}`,
        },
        media: {
          bindAddress: config.sipHost,
          portMin: config.rtpPortMin,
          portMax: config.rtpPortMax,
          workers: config.mediaWorkers,
          mediaEncryption: config.mediaEncryption,
          ...(config.webrtcPortMin !== null && config.webrtcPortMax !== null
            ? { webrtcPortMin: config.webrtcPortMin, webrtcPortMax: config.webrtcPortMax }
            : {}),
        },
      },
      store,
      logger.child({ component: 'sip' }),
    );
    // Changes, events and the live view shared with the other nodes (src/cluster/attach.ts).
    const clustered = cluster
      ? attachCluster(
          cluster,
          sip,
          logger.child({ component: 'cluster' }),
          store.callLog,
          (tenantId, entry) =>
            store
              .tenant(tenantId)
              .audit.record(
                { type: 'system', id: null, label: `node ${cluster?.node ?? ''}`, ip: null },
                entry,
              ),
        )
      : null;
    if (cluster && redis) {
      // Bans decided on any node apply on all of them (src/cluster/bans.ts).
      const clusterLog = logger.child({ component: 'cluster' });
      const bans = await SharedBans.open(redis, sip.guard, {
        prefix: cluster.prefix,
        node: cluster.node,
        onError: (err, what) => clusterLog.warn({ err }, `${what} failed`),
      });
      cleanups.push(() => bans.close());
    }
    // The operator's allow-list (portal, database) beside NIMBUS_SIP_ALLOW: read now, after a
    // change made through this node at once, and every 30 s for changes made through others.
    const reloadAllow = async () => {
      const rejected = sip.guard.setExtraAllow((await store.sipAllow.all()).map((e) => e.cidr));
      if (rejected.length)
        logger.warn({ rejected }, 'SIP allow-list entries that do not parse were left out');
    };
    await reloadAllow();
    const allowPoll = setInterval(
      () => reloadAllow().catch((err: unknown) => logger.warn({ err }, 'SIP allow-list reload failed')),
      30_000,
    );
    allowPoll.unref();
    cleanups.push(async () => clearInterval(allowPoll));
    const { buildApi } = await apiModule;
    const { WebhookOutbox } = await import('./api/webhook-outbox.js');
    let connectInfo: ConnectInfo | null = null;
    // Readiness (/readyz) waits for SIP, and ends when shutdown begins.
    let sipStarted = false;
    const sipListening = () => {
      if (!sipStarted) throw new Error('SIP is not listening (starting or stopping)');
    };
    const live: LiveSource = clustered ?? {
      snapshot: (tenantId) => sip.live.snapshot(tenantId),
      subscribe: (listener) => sip.events.on(listener),
    };
    // Events to tenants' webhooks, through the outbox table (sent by every node; rows are leased).
    const webhooks = new WebhookOutbox(store, logger.child({ component: 'webhooks' }), {
      allowPrivate: config.webhookAllowPrivate,
    });
    // Ticket systems and CRMs: their own outbox (same sender rules as webhooks), and the
    // CRMs as a caller-name source after the phonebook (the company's own name wins).
    // Signed links to recordings' audio, for CRMs and tickets that fetch the file themselves.
    const { RecordingLinks } = await import('./api/recording-links.js');
    const recordingLinks = new RecordingLinks(store, `https://${config.publicAddress}:${config.httpsPort}`);
    const { IntegrationHub } = await import('./api/integrations/hub.js');
    const integrations = new IntegrationHub(store, logger.child({ component: 'integrations' }), {
      allowPrivate: config.webhookAllowPrivate,
      portalUrl: `https://${config.publicAddress}:${config.httpsPort}`,
      contactsChanged: (tenantId) => sip.contactsChanged(tenantId),
      recordingLinks,
    });
    callerLookup.add(integrations.source());
    const api = await buildApi({
      webhooks,
      integrations,
      recordingLinks,
      callControl: {
        clickToCall: (t, from, to) => sip.clickToCall(t, from, to),
        originate: (r) => sip.control.originate(r),
        // A call another node carries is acted on by that node (src/cluster/attach.ts).
        numbersOn: (t, id) => sip.control.numbersOn(t, id) ?? clustered?.numbersOnElsewhere(t, id) ?? null,
        hangup: async (t, id) =>
          sip.control.hangup(t, id) || ((await clustered?.hangupElsewhere(t, id)) ?? false),
        transfer: async (t, id, side, to, by) => {
          const here = await sip.control.transfer(t, id, side, to, by);
          if (here.ok || here.code !== 'not-live' || !clustered) return here;
          return (await clustered.transferElsewhere(t, id, side, to, by)) ?? here;
        },
      },
      contactsChanged: (tenantId) =>
        sip
          .contactsChanged(tenantId)
          .catch((e: unknown) => logger.warn({ err: e, tenantId }, 'phonebook refresh failed')),
      store,
      config,
      logger,
      connectInfo: () => connectInfo,
      platform: () => ({
        startedAt: new Date(started),
        database: dbHandle.engine === 'pglite' ? 'embedded' : 'postgresql',
        redis: redis !== null,
        sip: {
          registrations: sip.location.size,
          activeCalls: sip.calls.size,
          connections: sip.transports.connectionCount,
        },
        media: sip.media
          ? {
              workers: sip.media.load().length,
              endpointsPerWorker: sip.media.load(),
              portMin: config.rtpPortMin,
              portMax: config.rtpPortMax,
            }
          : null,
      }),
      live,
      trunks: {
        status: () => sip.carriers.trunks.status(),
        usage: (tenantId) => sip.carriers.usage(tenantId),
      },
      security: {
        events: (f) => sip.securityLog.list(f),
        bans: () => sip.guard.activeBans(),
        lift: (ip, user, by) => sip.liftBan(ip, user, by),
        tenantOfRealm: (realm) => sip.directory.tenantByDomain(realm)?.id ?? null,
        settingsAllow: () => sipAllowList(config),
        allowChanged: reloadAllow,
        counts: () => sip.securityCounts(),
      },
      // The queue engine exists once the SIP service has started (it needs the media engine).
      queues: {
        all: (t) => sip.queues?.all(t) ?? [],
        liveOf: (t, q) => sip.queues?.liveOf(t, q) ?? null,
        agent: (t, n) => sip.queues?.agent(t, n) ?? null,
        change: (t, n, c) => sip.queues?.change(t, n, c) ?? null,
      },
      audioDir: join(config.dataDir, 'audio'),
      recordings: recordingStorage,
      voicemail: {
        dir: join(config.dataDir, 'voicemail'),
        changed: (tenantId, boxId) => {
          clustered?.voicemailChanged(tenantId, boxId);
          void sip.voicemail?.changedById(tenantId, boxId);
        },
      },
      readiness: [
        // Ready once SIP listens (after the directory, media and first-start data): until then
        // a load balancer or Kamailio's probe sends nothing here.
        { name: 'sip', check: async () => sipListening(), quiet: true },
        ...(redis ? [{ name: 'redis', check: async () => void (await redis!.ping()) }] : []),
        // In a cluster: this node's heartbeat is written (Kamailio and the others count on it).
        ...(cluster ? [{ name: 'cluster', check: () => cluster!.nodes.check() }] : []),
      ],
      ...(cluster ? { cluster: { node: cluster.node, nodes: () => cluster!.nodes.live() } } : {}),
      onTenantChange: (tenantId) =>
        sip
          .tenantChanged(tenantId)
          .catch((e: unknown) => logger.warn({ err: e }, 'SIP directory refresh failed')),
    });
    cleanups.push(() => api.app.close());
    // Bind before creating first-start accounts: if the port is taken, start-up fails
    // before any credential exists that could then never be shown.
    await api.app.listen({ host: config.httpHost, port: config.httpPort });

    const firstOperator = await ensureFirstOperator(store, {
      email: config.adminEmail,
      password: config.adminPassword,
    });
    // The demo tenant belongs to a brand-new installation only, never to one whose tenants were all deleted.
    const demo =
      config.demo && firstOperator !== null && (await store.tenants.count()) === 0
        ? await seedDemo(store, config.publicAddress)
        : null;
    await sip.start();
    sipStarted = true;
    clustered?.started();
    // SIP over WebSocket shares the HTTP port: ws://host:port/sip (RFC 7118).
    sip.transports.attachWebSocket(api.app.server, { path: '/sip' });
    // Live events for the portal on the same HTTP(S) ports: /api/v1/events.
    const events = new EventsSocket(store, live);
    events.attach(api.app.server);
    cleanups.push(async () => events.close());
    await webhooks.start();
    sip.events.on((e) => webhooks.enqueue(e));
    await integrations.start();
    sip.events.on((e) => integrations.onEvent(e));
    // Webhooks and integrations saved through another node are matched here from then on.
    cluster?.bus.onChange((c) => {
      if (c.kind !== 'tenant') return;
      webhooks.reload().catch((err: unknown) => logger.warn({ err }, 'webhook reload failed'));
      integrations.reload().catch((err: unknown) => logger.warn({ err }, 'integrations reload failed'));
    });
    cleanups.push(() => integrations.close());
    // Closed after the SIP service (cleanups run last first), so the events of calls cut by the
    // shutdown are written to the outbox too.
    cleanups.push(() => webhooks.close());
    cleanups.push(() => sip.close());
    // Scheduled email reports go out through the voicemail email's SMTP server.
    if (config.smtpUrl) {
      const { ReportMailer } = await import('./api/report-mailer.js');
      const reports = new ReportMailer(store, logger.child({ component: 'reports' }), {
        smtpUrl: config.smtpUrl,
        from: config.smtpFrom,
      });
      reports.start();
      cleanups.push(() => reports.close());
    }
    const address = api.app.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
    // The same application over HTTPS with the TLS certificate, and secure WebSocket on it.
    const https = createHttpsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) =>
      api.app.routing(req, res),
    );
    https.on('tlsClientError', () => {}); // a failed handshake is the client's problem
    await new Promise<void>((resolve, reject) => {
      https.once('error', reject);
      https.listen(config.httpsPort, config.httpHost, () => {
        https.off('error', reject);
        resolve();
      });
    });
    cleanups.push(async () => {
      // Stop listening; open WebSocket flows are ended by sip.close(), which runs next.
      https.close();
      https.closeAllConnections();
    });
    sip.transports.attachWebSocket(https, { path: '/sip', secure: true });
    events.attach(https);
    const httpsPort = (https.address() as AddressInfo).port;
    connectInfo = {
      host: config.publicAddress,
      udp: sip.transports.udpPort,
      tcp: sip.transports.tcpPort,
      tls: sip.transports.tlsPort,
      wss: httpsPort,
      ws: httpPort,
    };

    await cluster?.nodes.describe({
      sip: `${config.publicAddress}:${sip.transports.udpPort}`,
      http: `${config.publicAddress}:${httpPort}`,
    });

    // Expired sessions are swept hourly so the table does not grow forever.
    const sweep = setInterval(() => {
      store.sessions
        .deleteExpired(new Date())
        .catch((e: unknown) => logger.warn({ err: e }, 'session sweep failed'));
    }, 3600_000);
    sweep.unref();
    cleanups.push(async () => clearInterval(sweep));

    logger.info(
      {
        httpPort,
        httpsPort,
        sipUdp: sip.transports.udpPort,
        sipTcp: sip.transports.tcpPort,
        engine: dbHandle.engine,
        ms: Date.now() - started,
      },
      'nimbus started',
    );
    let closed: Promise<void> | null = null;
    return {
      config,
      store,
      api,
      logger,
      httpUrl: `http://${config.publicAddress}:${httpPort}`,
      httpPort,
      httpsPort,
      engine: dbHandle.engine,
      firstOperator,
      demo,
      sip,
      sipPorts: { udp: sip.transports.udpPort, tcp: sip.transports.tcpPort, tls: sip.transports.tlsPort },
      close: () => {
        sipStarted = false;
        closed ??= closeAll();
        return closed;
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
