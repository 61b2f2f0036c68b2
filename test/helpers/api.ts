/**
 * An API under test with two tenants, A and B, each with an admin, a supervisor
 * and a user (who owns extension 101), plus an operator. Requests go through
 * fastify.inject(): the whole HTTP stack without a socket.
 */
import { pino } from 'pino';
import type { ApiDeps } from '../../src/api/context.js';
import { newApiToken } from '../../src/api/routes/api-keys.js';
import { type ApiServer, buildApi } from '../../src/api/server.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import type { Role } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { hashPassword } from '../../src/util/password-hash.js';
import { type Backend, openTestDb, type TestDb } from './db.js';

export interface Account {
  email: string;
  password: string;
  userId: string;
  role: Role;
  cookie: string;
}

export interface TenantFixture {
  id: string;
  domain: string;
  admin: Account;
  supervisor: Account;
  user: Account;
  /** Extension 101, owned by `user`. */
  ownExtensionId: string;
  /** Extension 102, no owner. */
  otherExtensionId: string;
  apiKey: { id: string; token: string };
}

export interface Fixture {
  api: ApiServer;
  store: Store;
  db: TestDb;
  operator: Account;
  A: TenantFixture;
  B: TenantFixture;
  call: (method: string, url: string, opts?: CallOptions) => Promise<Reply>;
  close(): Promise<void>;
}

export interface CallOptions {
  as?: Account | null;
  token?: string;
  body?: unknown;
  /** Raw payload with its own content type (for malformed-input tests). */
  raw?: { payload: string; contentType: string };
  /** More request headers (If-Match...). */
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the server sent.
  json: any;
  headers: Record<string, unknown>;
  text: string;
}

const PASSWORD = 'correct horse battery';
let hashed: Promise<string> | null = null;

export async function createFixture(
  backend: Backend,
  /** More dependencies, or a function making them from the fixture's store. */
  deps: Partial<ApiDeps> | ((store: Store) => Partial<ApiDeps>) = {},
): Promise<Fixture> {
  const db = await openTestDb(backend);
  const store = db.store;
  const api = await buildApi({
    store,
    config: { sessionHours: 12, publicAddress: '127.0.0.1' },
    logger: pino({ level: 'silent' }),
    ...(typeof deps === 'function' ? deps(store) : deps),
  });
  hashed ??= hashPassword(PASSWORD);
  const passwordHash = await hashed;

  const call = async (method: string, url: string, opts: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.as) headers.cookie = opts.as.cookie;
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (opts.raw) {
      payload = opts.raw.payload;
      headers['content-type'] = opts.raw.contentType;
    } else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await api.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    let json: unknown = null;
    try {
      json = res.body ? JSON.parse(res.body) : null;
    } catch {
      json = null;
    }
    return { status: res.statusCode, json, headers: res.headers, text: res.body };
  };

  async function login(email: string): Promise<string> {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: PASSWORD },
    });
    if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`);
    const c = res.cookies.find((k) => k.name === 'nimbus_session');
    return `nimbus_session=${c!.value}`;
  }

  async function account(tenantId: string | null, email: string, role: Role): Promise<Account> {
    const repo = tenantId ? store.tenant(tenantId).users : store.platform.users;
    const u = await repo.create({ email, displayName: email.split('@')[0]!, passwordHash, role });
    return { email, password: PASSWORD, userId: u.id, role, cookie: await login(email) };
  }

  async function tenant(tag: string): Promise<TenantFixture> {
    const t = await store.tenants.create({
      name: `Tenant ${tag}`,
      sipDomain: `${tag.toLowerCase()}.example.test`,
      timeZone: 'Europe/Moscow',
      language: 'ru',
      country: 'RU',
      maxExtensions: 50,
      maxConcurrentCalls: 10,
    });
    const admin = await account(t.id, `admin@${tag}.test`, 'tenant_admin');
    const supervisor = await account(t.id, `supervisor@${tag}.test`, 'supervisor');
    const user = await account(t.id, `user@${tag}.test`, 'user');
    const ext = (number: string, userId: string | null) =>
      store.tenant(t.id).extensions.create({
        number,
        displayName: `Ext ${number}`,
        userId,
        sipSecret: `secret-${tag}-${number}`,
        voicemailEnabled: true,
        voicemailPin: '1234',
        callClass: 'national',
        dnd: false,
        ringTimeoutSec: 25,
        forwarding: NO_FORWARDING,
      });
    const own = await ext('101', user.userId);
    const other = await ext('102', null);
    const k = newApiToken();
    const key = await store.tenant(t.id).apiKeys.create({
      name: `key ${tag}`,
      prefix: k.prefix,
      secretHash: k.secretHash,
      role: 'tenant_admin',
      createdBy: admin.userId,
      expiresAt: null,
    });
    return {
      id: t.id,
      domain: t.sipDomain,
      admin,
      supervisor,
      user,
      ownExtensionId: own.id,
      otherExtensionId: other.id,
      apiKey: { id: key.id, token: k.token },
    };
  }

  const operator = await account(null, 'op@platform.test', 'operator');
  const A = await tenant('A');
  const B = await tenant('B');
  return {
    api,
    store,
    db,
    operator,
    A,
    B,
    call,
    close: async () => {
      await api.app.close();
      await db.close();
    },
  };
}
