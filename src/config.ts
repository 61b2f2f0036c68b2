/**
 * Nimbus configuration: one typed object built from defaults, an optional JSON
 * config file, environment variables and command-line flags (later sources win).
 *
 * Every setting is declared once in SETTINGS below; the README's settings table,
 * the CLI flags and the validation messages all come from that one list, so a
 * setting cannot exist in one place and be missing in another.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  dataDir: string;
  httpHost: string;
  httpPort: number;
  httpsPort: number;
  sipHost: string;
  sipPort: number;
  sipDigest: 'MD5' | 'SHA-256' | 'MD5,SHA-256' | 'SHA-256,MD5';
  sipTlsPort: number;
  sipServerHeader: string | null;
  sipBanUserFailures: number;
  sipBanIpFailures: number;
  sipBanWindowSec: number;
  sipBanSec: number;
  sipAllow: string | null;
  sipScannerAgents: string | null;
  sipRateLimit: number;
  sipTenantRateLimit: number;
  sipMaxConnectionsPerIp: number;
  sipFirstMessageSec: number;
  sipConnectionIdleSec: number;
  sipMaxTransactions: number;
  sipMaxCalls: number;
  sipMaxSubscriptions: number;
  sipTrustedProxies: string | null;
  tlsCert: string | null;
  tlsKey: string | null;
  publicAddress: string;
  logLevel: LogLevel;
  databaseUrl: string | null;
  redisUrl: string | null;
  nodeId: string | null;
  redisPrefix: string;
  adminEmail: string | null;
  adminPassword: string | null;
  demo: boolean;
  sessionHours: number;
  rtpPortMin: number;
  rtpPortMax: number;
  webrtcPortMin: number | null;
  webrtcPortMax: number | null;
  softphoneWsUrl: string | null;
  mediaWorkers: number;
  mediaEncryption: 'off' | 'optional' | 'required';
  smtpUrl: string | null;
  smtpFrom: string;
  transcribeUrl: string | null;
  transcribeToken: string | null;
  webhookAllowPrivate: boolean;
  recordingsS3: string | null;
}

type Kind =
  | { type: 'string'; pattern?: RegExp; hint?: string }
  | { type: 'port' }
  | { type: 'int'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'boolean' }
  | { type: 'url'; protocols: readonly string[] }
  | { type: 'email' };

export interface Setting {
  key: keyof Config;
  env: string;
  flag: string;
  kind: Kind;
  /** Default as it would be written in the environment; null = unset. */
  default: string | null | (() => string);
  description: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const SETTINGS: readonly Setting[] = [
  {
    key: 'dataDir',
    env: 'NIMBUS_DATA_DIR',
    flag: 'data-dir',
    kind: { type: 'string' },
    default: './data',
    description: 'Directory for the embedded database, recordings, voicemail and generated certificates.',
  },
  {
    key: 'httpHost',
    env: 'NIMBUS_HTTP_HOST',
    flag: 'http-host',
    kind: { type: 'string' },
    default: '0.0.0.0',
    description: 'Address the web portal and REST API listen on.',
  },
  {
    key: 'httpPort',
    env: 'NIMBUS_HTTP_PORT',
    flag: 'http-port',
    kind: { type: 'port' },
    default: '8080',
    description: 'TCP port of the web portal, REST API, /metrics and health checks (0 = any free port).',
  },
  {
    key: 'httpsPort',
    env: 'NIMBUS_HTTPS_PORT',
    flag: 'https-port',
    kind: { type: 'port' },
    default: '8089',
    description:
      'The same portal and API over HTTPS, and SIP over secure WebSocket at wss://host:port/sip, with the TLS certificate (0 = any free port). Browsers only allow microphones and installable apps on HTTPS.',
  },
  {
    key: 'sipHost',
    env: 'NIMBUS_SIP_HOST',
    flag: 'sip-host',
    kind: { type: 'string' },
    default: '0.0.0.0',
    description: 'Address the SIP transports (UDP, TCP) listen on.',
  },
  {
    key: 'sipPort',
    env: 'NIMBUS_SIP_PORT',
    flag: 'sip-port',
    kind: { type: 'port' },
    default: '5060',
    description: 'UDP/TCP port for SIP signalling.',
  },
  {
    key: 'sipTlsPort',
    env: 'NIMBUS_SIP_TLS_PORT',
    flag: 'sip-tls-port',
    kind: { type: 'port' },
    default: '5061',
    description: 'TCP port for SIP over TLS (0 = any free port).',
  },
  {
    key: 'tlsCert',
    env: 'NIMBUS_TLS_CERT',
    flag: 'tls-cert',
    kind: { type: 'string' },
    default: null,
    description:
      'PEM certificate (chain) file for SIP over TLS; with NIMBUS_TLS_KEY. Unset: a self-signed one is generated into NIMBUS_DATA_DIR/tls.',
  },
  {
    key: 'tlsKey',
    env: 'NIMBUS_TLS_KEY',
    flag: 'tls-key',
    kind: { type: 'string' },
    default: null,
    description: 'PEM private key file matching NIMBUS_TLS_CERT.',
  },
  {
    key: 'sipDigest',
    env: 'NIMBUS_SIP_DIGEST',
    flag: 'sip-digest',
    kind: { type: 'enum', values: ['MD5', 'SHA-256', 'MD5,SHA-256', 'SHA-256,MD5'] },
    default: 'MD5',
    description:
      'Digest algorithms challenged, in order. MD5 alone works with every phone; SHA-256 (RFC 8760) only where all devices support it.',
  },
  {
    key: 'sipServerHeader',
    env: 'NIMBUS_SIP_SERVER_HEADER',
    flag: 'sip-server-header',
    kind: {
      type: 'string',
      pattern: /^[\x21-\x7e][\x20-\x7e]{0,99}$/,
      hint: '1 to 100 printable ASCII characters',
    },
    default: null,
    description:
      'Server header of SIP answers and User-Agent of registrations to carriers. Unset: none, so scanners are not told the product or version.',
  },
  {
    key: 'sipBanUserFailures',
    env: 'NIMBUS_SIP_BAN_USER_FAILURES',
    flag: 'sip-ban-user-failures',
    kind: { type: 'int', min: 0, max: 100000 },
    default: '10',
    description:
      'Failed SIP authentications of one user from one address, within NIMBUS_SIP_BAN_WINDOW_SEC, that ban that user from that address (0 = never).',
  },
  {
    key: 'sipBanIpFailures',
    env: 'NIMBUS_SIP_BAN_IP_FAILURES',
    flag: 'sip-ban-ip-failures',
    kind: { type: 'int', min: 0, max: 100000 },
    default: '20',
    description:
      'Failed SIP authentications from one address, any users, that ban the whole address (0 = never).',
  },
  {
    key: 'sipBanWindowSec',
    env: 'NIMBUS_SIP_BAN_WINDOW_SEC',
    flag: 'sip-ban-window-sec',
    kind: { type: 'int', min: 1, max: 86400 },
    default: '600',
    description: 'Window, in seconds, within which failed SIP authentications are counted.',
  },
  {
    key: 'sipBanSec',
    env: 'NIMBUS_SIP_BAN_SEC',
    flag: 'sip-ban-sec',
    kind: { type: 'int', min: 1, max: 604800 },
    default: '900',
    description: 'How long a SIP ban lasts, in seconds.',
  },
  {
    key: 'sipAllow',
    env: 'NIMBUS_SIP_ALLOW',
    flag: 'sip-allow',
    kind: {
      type: 'string',
      pattern: /^[0-9A-Fa-f.:/, ]{2,4000}$/,
      hint: 'addresses or CIDR ranges, comma-separated',
    },
    default: null,
    description:
      'Addresses and CIDR ranges (comma-separated) never banned for failed SIP authentication nor dropped as scanners: the office, the load balancer, monitoring.',
  },
  {
    key: 'sipScannerAgents',
    env: 'NIMBUS_SIP_SCANNER_AGENTS',
    flag: 'sip-scanner-agents',
    kind: {
      type: 'string',
      pattern: /^[\x20-\x2b\x2d-\x7e]+(,[\x20-\x2b\x2d-\x7e]+)*$/,
      hint: 'User-Agent fragments, comma-separated, or none',
    },
    default: null,
    description:
      'User-Agent fragments (comma-separated, any case) whose SIP requests are dropped unanswered; none = drop nothing. Unset: friendly-scanner, sipvicious, sipcli, sip-scan, sipscan, sundayddr, iwar, vaxsipuseragent, sivus, pplsip.',
  },
  {
    key: 'sipRateLimit',
    env: 'NIMBUS_SIP_RATE_LIMIT',
    flag: 'sip-rate-limit',
    kind: { type: 'int', min: 0, max: 1000000 },
    default: '100',
    description:
      'SIP requests a second one address may send (counted over 2 s); past it the address is dropped unanswered for 30 s (0 = no limit). Behind Kamailio, list it in NIMBUS_SIP_TRUSTED_PROXIES.',
  },
  {
    key: 'sipTenantRateLimit',
    env: 'NIMBUS_SIP_TENANT_RATE_LIMIT',
    flag: 'sip-tenant-rate-limit',
    kind: { type: 'int', min: 0, max: 1000000 },
    default: '1000',
    description:
      "SIP requests a second naming one tenant's domain, counted over 2 s, twice over: for its own phones (addresses that authenticated) and for everyone else. Past it, its phones get 503 with Retry-After and strangers are dropped unanswered over UDP (0 = no limit).",
  },
  {
    key: 'sipMaxConnectionsPerIp',
    env: 'NIMBUS_SIP_MAX_CONNECTIONS_PER_IP',
    flag: 'sip-max-connections-per-ip',
    kind: { type: 'int', min: 0, max: 100000 },
    default: '50',
    description:
      'Concurrent SIP connections one address may hold per transport (TCP, TLS, WebSocket); more are closed at once (0 = no cap). Trusted proxies and NIMBUS_SIP_ALLOW are exempt.',
  },
  {
    key: 'sipFirstMessageSec',
    env: 'NIMBUS_SIP_FIRST_MESSAGE_SEC',
    flag: 'sip-first-message-sec',
    kind: { type: 'int', min: 1, max: 3600 },
    default: '20',
    description:
      'Seconds a new SIP connection (TCP, TLS with its handshake, WebSocket) has to send its first complete SIP message before it is closed.',
  },
  {
    key: 'sipConnectionIdleSec',
    env: 'NIMBUS_SIP_CONNECTION_IDLE_SEC',
    flag: 'sip-connection-idle-sec',
    kind: { type: 'int', min: 5, max: 86400 },
    default: '120',
    description:
      'Seconds a SIP connection may stay silent (CRLF keep-alives count) before it is closed, unless a registration made over it still lives.',
  },
  {
    key: 'sipMaxTransactions',
    env: 'NIMBUS_SIP_MAX_TRANSACTIONS',
    flag: 'sip-max-transactions',
    kind: { type: 'int', min: 10, max: 10000000 },
    default: '50000',
    description:
      'SIP server transactions (and, separately, client transactions) in progress at most; past it new requests get 503.',
  },
  {
    key: 'sipMaxCalls',
    env: 'NIMBUS_SIP_MAX_CALLS',
    flag: 'sip-max-calls',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '10000',
    description:
      'Calls in progress on the node at most (each holds its dialogs); past it new INVITEs get 503.',
  },
  {
    key: 'sipMaxSubscriptions',
    env: 'NIMBUS_SIP_MAX_SUBSCRIPTIONS',
    flag: 'sip-max-subscriptions',
    kind: { type: 'int', min: 1, max: 10000000 },
    default: '100000',
    description: 'SIP subscriptions (busy lamps, message waiting) at most; past it new SUBSCRIBEs get 503.',
  },
  {
    key: 'sipTrustedProxies',
    env: 'NIMBUS_SIP_TRUSTED_PROXIES',
    flag: 'sip-trusted-proxies',
    kind: {
      type: 'string',
      pattern: /^[0-9A-Fa-f.:/, ]{2,4000}$/,
      hint: 'addresses or CIDR ranges, comma-separated',
    },
    default: null,
    description:
      "Addresses and CIDR ranges (comma-separated) of SIP proxies in front of the node (Kamailio): for a request from one, bans, the rate limit, the scanner filter and security events go by the client's address the proxy stamped in its Via (received=), not the proxy's.",
  },
  {
    key: 'publicAddress',
    env: 'NIMBUS_PUBLIC_ADDRESS',
    flag: 'public-address',
    kind: { type: 'string', pattern: /^[A-Za-z0-9.:-]+$/, hint: 'a host name or an IP address' },
    default: detectAddress,
    description:
      'Host name or IP address phones and browsers use to reach this node; default: the first non-loopback IPv4 address.',
  },
  {
    key: 'logLevel',
    env: 'NIMBUS_LOG_LEVEL',
    flag: 'log-level',
    kind: { type: 'enum', values: LOG_LEVELS },
    default: 'info',
    description: 'Log level of the JSON logs written to standard output.',
  },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    flag: 'database-url',
    kind: { type: 'url', protocols: ['postgres:', 'postgresql:'] },
    default: null,
    description: 'PostgreSQL connection URL. Unset: the embedded database (PGlite) in NIMBUS_DATA_DIR/db.',
  },
  {
    key: 'redisUrl',
    env: 'REDIS_URL',
    flag: 'redis-url',
    kind: { type: 'url', protocols: ['redis:', 'rediss:'] },
    default: null,
    description: 'Redis URL for shared cluster state. Unset: single node, state in memory.',
  },
  {
    key: 'nodeId',
    env: 'NIMBUS_NODE_ID',
    flag: 'node-id',
    kind: {
      type: 'string',
      pattern: /^[A-Za-z0-9._:-]{1,64}$/,
      hint: '1 to 64 letters, digits, dots, dashes, underscores or colons',
    },
    default: null,
    description:
      "This node's id in a cluster (heartbeat, CDRs, registrations it holds); unique per node, kept across restarts. Unset: host name and SIP port.",
  },
  {
    key: 'redisPrefix',
    env: 'NIMBUS_REDIS_PREFIX',
    flag: 'redis-prefix',
    kind: {
      type: 'string',
      pattern: /^[A-Za-z0-9._:-]{1,64}$/,
      hint: '1 to 64 letters, digits, dots, dashes, underscores or colons',
    },
    default: 'nimbus:',
    description: 'Prefix of every Redis key and channel of this cluster: two clusters can share one Redis.',
  },
  {
    key: 'smtpUrl',
    env: 'NIMBUS_SMTP_URL',
    flag: 'smtp-url',
    kind: { type: 'url', protocols: ['smtp:', 'smtps:'] },
    default: null,
    description:
      'SMTP server voicemail is emailed through, e.g. smtp://user:password@mail.example.com:587 (smtps: for TLS from the start). Unset: no voicemail email.',
  },
  {
    key: 'smtpFrom',
    env: 'NIMBUS_SMTP_FROM',
    flag: 'smtp-from',
    kind: { type: 'email' },
    default: 'voicemail@nimbus.local',
    description: 'Sender address of voicemail emails.',
  },
  {
    key: 'transcribeUrl',
    env: 'NIMBUS_TRANSCRIBE_URL',
    flag: 'transcribe-url',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    default: null,
    description:
      'Speech-to-text service voicemail is sent to (POST audio/wav, ?lang=en|ru; answers JSON {"text": …} or text). Unset: no transcripts.',
  },
  {
    key: 'transcribeToken',
    env: 'NIMBUS_TRANSCRIBE_TOKEN',
    flag: 'transcribe-token',
    kind: { type: 'string', pattern: /^\S{1,4000}$/u, hint: 'a token without spaces' },
    default: null,
    description: 'Bearer token for the transcription service, if it needs one.',
  },
  {
    key: 'adminEmail',
    env: 'NIMBUS_ADMIN_EMAIL',
    flag: 'admin-email',
    kind: { type: 'email' },
    default: null,
    description: 'Email of the first operator account, created on first start (default admin@nimbus.local).',
  },
  {
    key: 'adminPassword',
    env: 'NIMBUS_ADMIN_PASSWORD',
    flag: 'admin-password',
    kind: { type: 'string', pattern: /^.{8,200}$/u, hint: '8 to 200 characters' },
    default: null,
    description: 'Password of the first operator account; unset: generated and printed once.',
  },
  {
    key: 'webhookAllowPrivate',
    env: 'NIMBUS_WEBHOOK_ALLOW_PRIVATE',
    flag: 'webhook-allow-private',
    kind: { type: 'boolean' },
    default: 'false',
    description:
      'Let webhooks reach loopback and private addresses (off: a tenant cannot make the PBX call into the operator’s own network).',
  },
  {
    key: 'recordingsS3',
    env: 'NIMBUS_RECORDINGS_S3',
    flag: 'recordings-s3',
    kind: { type: 'url', protocols: ['http:', 'https:'] },
    default: null,
    description:
      'Keep call recordings in S3-compatible object storage instead of the data directory: https://ACCESS_KEY:SECRET@host[:port]/bucket[?region=…] (path-style; add &virtualHosted=1 for bucket.host).',
  },
  {
    key: 'demo',
    env: 'NIMBUS_DEMO',
    flag: 'demo',
    kind: { type: 'boolean' },
    default: 'true',
    description: 'Create the demo tenant (extensions 101-105 and an admin login) when the database is empty.',
  },
  {
    key: 'sessionHours',
    env: 'NIMBUS_SESSION_HOURS',
    flag: 'session-hours',
    kind: { type: 'int', min: 1, max: 720 },
    default: '12',
    description: 'Lifetime of a portal sign-in session, in hours.',
  },
  {
    key: 'rtpPortMin',
    env: 'NIMBUS_RTP_PORT_MIN',
    flag: 'rtp-port-min',
    kind: { type: 'int', min: 1024, max: 65534 },
    default: '10000',
    description:
      'First UDP port for call media (RTP on even ports, RTCP on the next odd one). Each anchored call uses two pairs.',
  },
  {
    key: 'rtpPortMax',
    env: 'NIMBUS_RTP_PORT_MAX',
    flag: 'rtp-port-max',
    kind: { type: 'int', min: 1025, max: 65535 },
    default: '20000',
    description: 'Last UDP port for call media; must be above NIMBUS_RTP_PORT_MIN.',
  },
  {
    key: 'webrtcPortMin',
    env: 'NIMBUS_WEBRTC_PORT_MIN',
    flag: 'webrtc-port-min',
    kind: { type: 'int', min: 1024, max: 65534 },
    default: null,
    description:
      'First UDP port for browser softphones (WebRTC: ICE and DTLS-SRTP, one port per call leg), outside the RTP range; unset: any free port.',
  },
  {
    key: 'webrtcPortMax',
    env: 'NIMBUS_WEBRTC_PORT_MAX',
    flag: 'webrtc-port-max',
    kind: { type: 'int', min: 1025, max: 65535 },
    default: null,
    description: 'Last UDP port for browser softphones; set with NIMBUS_WEBRTC_PORT_MIN, above it.',
  },
  {
    key: 'softphoneWsUrl',
    env: 'NIMBUS_SOFTPHONE_WS_URL',
    flag: 'softphone-ws-url',
    kind: {
      type: 'string',
      pattern: /^wss?:\/\/[A-Za-z0-9.:[\]-]+(\/[A-Za-z0-9._~!$&()*+=:@%/?-]*)?$/,
      hint: 'a ws:// or wss:// URL',
    },
    default: null,
    description:
      "SIP over WebSocket URL the portal's softphone registers to instead of this node's own /sip: Kamailio fronting WebSocket for a cluster (deploy/README.md), so any node can ring it. Unset: this node's /sip.",
  },
  {
    key: 'mediaWorkers',
    env: 'NIMBUS_MEDIA_WORKERS',
    flag: 'media-workers',
    kind: { type: 'int', min: 0, max: 64 },
    default: '0',
    description:
      'Worker threads moving call media, each owning a slice of the RTP port range; 0 = one per CPU core.',
  },
  {
    key: 'mediaEncryption',
    env: 'NIMBUS_MEDIA_ENCRYPTION',
    flag: 'media-encryption',
    kind: { type: 'enum', values: ['off', 'optional', 'required'] },
    default: 'optional',
    description:
      'SDES-SRTP (RTP/SAVP with a=crypto) with phones signalling over TLS or WSS: optional takes it when a phone offers it, required also refuses their plain-RTP offers and offers it to called phones registered over TLS; off refuses it. Over UDP/TCP media is always plain RTP (the keys would travel in clear).',
  },
];

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function detectAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

function describeAllowed(kind: Kind): string {
  switch (kind.type) {
    case 'port':
      return 'an integer from 0 to 65535';
    case 'int':
      return `an integer from ${kind.min} to ${kind.max}`;
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'boolean':
      return 'true or false (also 1/0, yes/no)';
    case 'url':
      return `a URL starting with ${kind.protocols.map((p) => `${p}//`).join(' or ')}`;
    case 'email':
      return 'an email address';
    case 'string':
      return kind.hint ?? 'a non-empty string';
  }
}

/** Converts one raw value (string from env/flag, or JSON value from the file) to its typed form. */
function convert(setting: Setting, raw: unknown, source: string): Config[keyof Config] {
  const fail = (): never => {
    throw new ConfigError(
      setting.env,
      `Invalid ${setting.env} (${source}): ${JSON.stringify(raw)}. Allowed: ${describeAllowed(setting.kind)}.`,
    );
  };
  // Passwords are taken exactly as given; other values forgive stray spaces.
  const text =
    typeof raw === 'string'
      ? setting.key === 'adminPassword'
        ? raw
        : raw.trim()
      : typeof raw === 'number' || typeof raw === 'boolean'
        ? String(raw)
        : fail();
  const k = setting.kind;
  switch (k.type) {
    case 'port':
    case 'int': {
      if (!/^\d+$/.test(text)) return fail();
      const n = Number(text);
      const [min, max] = k.type === 'port' ? [0, 65535] : [k.min, k.max];
      return n >= min && n <= max ? n : fail();
    }
    case 'enum':
      return k.values.includes(text) ? text : fail();
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      return fail();
    case 'url': {
      try {
        const u = new URL(text);
        return k.protocols.includes(u.protocol) ? text : fail();
      } catch {
        return fail();
      }
    }
    case 'email':
      return EMAIL.test(text) && text.length <= 254 ? text.toLowerCase() : fail();
    case 'string':
      if (text === '') return fail();
      return !k.pattern || k.pattern.test(text) ? text : fail();
  }
}

export interface ConfigSources {
  env?: Record<string, string | undefined>;
  /** Flag values keyed by flag name (without the leading dashes). */
  flags?: Record<string, string | boolean | undefined>;
  /** Path of a JSON config file; when unset NIMBUS_CONFIG or --config is used, if given. */
  configFile?: string | null;
}

/**
 * Builds the configuration. Throws ConfigError naming the offending setting and
 * its allowed values; start-up prints that message and exits.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const filePath =
    sources.configFile ??
    (typeof flags.config === 'string' ? flags.config : undefined) ??
    env.NIMBUS_CONFIG ??
    null;
  const file = filePath ? readConfigFile(filePath) : {};

  const knownFlags = new Set(['config', ...SETTINGS.map((s) => s.flag)]);
  for (const name of Object.keys(flags)) {
    if (!knownFlags.has(name)) {
      throw new ConfigError(
        `--${name}`,
        `Unknown option --${name}. Known: ${[...knownFlags].map((f) => `--${f}`).join(', ')}.`,
      );
    }
  }

  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const flag = flags[s.flag];
    const envValue = env[s.env];
    let value: unknown;
    if (flag !== undefined) value = convert(s, flag, `flag --${s.flag}`);
    else if (envValue !== undefined && envValue !== '') value = convert(s, envValue, 'environment');
    else if (file[s.key] !== undefined && file[s.key] !== null)
      value = convert(s, file[s.key], `config file ${filePath}`);
    else if (s.default === null) value = null;
    else value = convert(s, typeof s.default === 'function' ? s.default() : s.default, 'default');
    out[s.key] = value;
  }
  const config = out as unknown as Config;
  config.dataDir = resolve(config.dataDir);
  if (config.rtpPortMax - config.rtpPortMin < 3)
    throw new ConfigError(
      'NIMBUS_RTP_PORT_MAX',
      `Invalid RTP port range ${config.rtpPortMin}-${config.rtpPortMax}: NIMBUS_RTP_PORT_MAX must be at least NIMBUS_RTP_PORT_MIN + 3 (one RTP/RTCP pair per call leg).`,
    );
  checkWebRtcPorts(config);
  checkAllowList(config);
  checkSoftphoneWsUrl(config);
  return config;
}

/**
 * Every entry of NIMBUS_SIP_ALLOW and NIMBUS_SIP_TRUSTED_PROXIES is an address or a CIDR
 * range (a typo would silently protect nobody, or lump every phone behind a proxy together).
 */
function checkAllowList(config: Config): void {
  const lists = [
    ['NIMBUS_SIP_ALLOW', sipAllowList(config)],
    ['NIMBUS_SIP_TRUSTED_PROXIES', sipTrustedProxyList(config)],
  ] as const;
  for (const [env, list] of lists)
    for (const entry of list) {
      const [addr, bits, extra] = entry.split('/');
      const family = isIP(addr ?? '');
      const max = family === 4 ? 32 : 128;
      const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
      if (!family || !okBits || extra !== undefined)
        throw new ConfigError(
          env,
          `Invalid ${env} entry ${JSON.stringify(entry)}: give IPv4 or IPv6 addresses or CIDR ranges such as 10.0.0.0/8, comma-separated.`,
        );
    }
}

/** NIMBUS_SIP_ALLOW as a list. */
export function sipAllowList(config: Pick<Config, 'sipAllow'>): string[] {
  return (config.sipAllow ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

/** NIMBUS_SIP_TRUSTED_PROXIES as a list. */
export function sipTrustedProxyList(config: Pick<Config, 'sipTrustedProxies'>): string[] {
  return (config.sipTrustedProxies ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

/** NIMBUS_SIP_SCANNER_AGENTS as a list; undefined: the built-in list. */
export function sipScannerAgentList(config: Pick<Config, 'sipScannerAgents'>): string[] | undefined {
  if (config.sipScannerAgents === null) return undefined;
  if (config.sipScannerAgents.trim().toLowerCase() === 'none') return [];
  return config.sipScannerAgents
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

/** The softphone's WebSocket URL parses (the portal's CSP is made from its origin). */
function checkSoftphoneWsUrl(config: Config): void {
  if (config.softphoneWsUrl === null || URL.canParse(config.softphoneWsUrl)) return;
  throw new ConfigError(
    'NIMBUS_SOFTPHONE_WS_URL',
    `NIMBUS_SOFTPHONE_WS_URL: ${JSON.stringify(config.softphoneWsUrl)} is not a valid ws:// or wss:// URL.`,
  );
}

/** Browser softphones' ports: both ends or neither, a real range, clear of the relay's. */
function checkWebRtcPorts(config: Config): void {
  const { webrtcPortMin: min, webrtcPortMax: max } = config;
  if (min === null && max === null) return;
  if (min === null || max === null || max <= min)
    throw new ConfigError(
      'NIMBUS_WEBRTC_PORT_MAX',
      `Invalid WebRTC port range ${min ?? '(unset)'}-${max ?? '(unset)'}: set both NIMBUS_WEBRTC_PORT_MIN and NIMBUS_WEBRTC_PORT_MAX, MAX above MIN.`,
    );
  if (min <= config.rtpPortMax && config.rtpPortMin <= max)
    throw new ConfigError(
      'NIMBUS_WEBRTC_PORT_MIN',
      `NIMBUS_WEBRTC_PORT_MIN: the WebRTC ports ${min}-${max} overlap the RTP ports ${config.rtpPortMin}-${config.rtpPortMax}: the relay owns those.`,
    );
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('NIMBUS_CONFIG', `Cannot read config file ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('NIMBUS_CONFIG', `Config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('NIMBUS_CONFIG', `Config file ${path} must hold a JSON object of settings.`);
  }
  const keys = new Set<string>(SETTINGS.map((s) => s.key));
  for (const k of Object.keys(parsed)) {
    if (!keys.has(k)) {
      throw new ConfigError(
        k,
        `Unknown setting "${k}" in config file ${path}. Known: ${[...keys].join(', ')}.`,
      );
    }
  }
  return parsed as Record<string, unknown>;
}
