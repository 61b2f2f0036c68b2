/** /api/v1/auth: sign-in with a cookie session, sign-out, the caller's own profile, password and 2FA. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { User } from '../../store/schema.js';
import { hashPassword, verifyPassword } from '../../util/password-hash.js';
import { randomToken, sha256Hex } from '../../util/secrets.js';
import { generateTotpSecret, matchTotp, otpauthUri } from '../../util/totp.js';
import { SESSION_COOKIE } from '../auth.js';
import type { Api, ApiDeps, Principal } from '../context.js';
import { actorOf, principalOf } from '../context.js';
import { ApiError } from '../errors.js';
import { LoginThrottle } from '../login-throttle.js';
import { DisplayName, LanguageSchema, Password, RoleSchema, UserSchema, Uuid } from '../schemas.js';
import { auditSnapshot, userView } from '../views.js';

const Me = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('apiKey')]),
  role: RoleSchema,
  tenantId: Type.Union([Uuid, Type.Null()]),
  user: Type.Optional(UserSchema),
});

const TotpCode = Type.String({
  pattern: '^[0-9]{6}$',
  description: '6-digit code from the authenticator app',
});

export async function authRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const throttle = new LoginThrottle({}, () => now().getTime());

  /** The signed-in user behind a session (API keys have no password or 2FA to manage). */
  async function sessionUser(req: FastifyRequest) {
    const p: Principal = principalOf(req);
    if (p.kind !== 'user' || !p.userId) throw new ApiError('FORBIDDEN', 'Only a signed-in user can do this');
    const user = await store.accounts.findById(p.userId);
    if (!user) throw new ApiError('UNAUTHENTICATED');
    return user;
  }

  /** Re-checks a signed-in user's password, throttled like sign-in so a stolen session cannot guess it. */
  async function checkPassword(
    req: FastifyRequest,
    user: User,
    password: string,
    field: string,
  ): Promise<void> {
    const wait = throttle.retryAfter(req.ip, user.email);
    if (wait > 0) throw new ApiError('RATE_LIMITED', `Too many wrong passwords; try again in ${wait} s`);
    if (!(await verifyPassword(user.passwordHash, password))) {
      throttle.fail(req.ip, user.email);
      throw new ApiError('VALIDATION_FAILED', 'The password is wrong', field);
    }
  }

  function scopeOf(tenantId: string | null) {
    return tenantId ? store.tenant(tenantId) : store.platform;
  }

  app.post(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in; sets the session cookie',
        body: Type.Object(
          {
            email: Type.String({ minLength: 1, maxLength: 254 }),
            password: Type.String({ minLength: 1, maxLength: 200 }),
            totpCode: Type.Optional(TotpCode),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ user: UserSchema, expiresAt: Type.String({ format: 'date-time' }) }) },
      },
    },
    async (req, reply) => {
      const { email, password, totpCode } = req.body;
      const account = email.toLowerCase();
      const wait = throttle.retryAfter(req.ip, account);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new ApiError('RATE_LIMITED', `Too many failed sign-ins; try again in ${wait} s`);
      }
      const user = await store.accounts.findByEmail(account);
      const ok = await verifyPassword(user?.passwordHash ?? null, password);
      const tenantOk = user?.tenantId ? (await store.tenants.get(user.tenantId))?.enabled === true : true;
      if (!user || !ok || user.disabled || !tenantOk) {
        throttle.fail(req.ip, account);
        if (user) {
          await scopeOf(user.tenantId).audit.record(
            { type: 'system', id: null, label: account, ip: req.ip },
            { action: 'auth.loginFailed', resourceType: 'user', resourceId: user.id },
          );
        }
        // One answer for unknown account, wrong password and disabled account.
        throw new ApiError('INVALID_CREDENTIALS');
      }
      let totpStep: number | null = null;
      if (user.totpEnabled && user.totpSecret) {
        if (!totpCode) throw new ApiError('TOTP_REQUIRED', undefined, 'totpCode');
        totpStep = matchTotp(user.totpSecret, totpCode, now().getTime(), lastStep(user.totpLastStep));
        if (totpStep === null) {
          throttle.fail(req.ip, account);
          throw new ApiError('INVALID_TOTP', undefined, 'totpCode');
        }
      }
      throttle.succeed(req.ip, account);
      const token = randomToken(32);
      const expiresAt = new Date(now().getTime() + deps.config.sessionHours * 3600_000);
      await store.transaction(async (tx) => {
        await tx.sessions.create({
          id: sha256Hex(token),
          userId: user.id,
          expiresAt,
          ip: req.ip,
          userAgent: req.headers['user-agent']?.slice(0, 300) ?? null,
        });
        await (user.tenantId ? tx.tenant(user.tenantId).users : tx.platform.users).update(user.id, {
          lastLoginAt: now(),
          ...(totpStep !== null ? { totpLastStep: totpStep } : {}),
        });
        await (user.tenantId ? tx.tenant(user.tenantId) : tx.platform).audit.record(
          { type: 'user', id: user.id, label: user.email, ip: req.ip },
          { action: 'auth.login', resourceType: 'user', resourceId: user.id },
        );
      });
      setSessionCookie(req, reply, token, deps.config.sessionHours * 3600);
      return { user: userView({ ...user, lastLoginAt: now() }), expiresAt: expiresAt.toISOString() };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { public: true },
      schema: { tags: ['auth'], summary: 'Sign out (ends this session)', response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const p = req.principal;
      if (p?.sessionId) await store.sessions.delete(p.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.code(204);
      return null;
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      config: { permission: 'self' },
      schema: { tags: ['auth'], summary: 'Who am I', response: { 200: Me } },
    },
    async (req) => {
      const p = principalOf(req);
      if (p.kind === 'apiKey') return { kind: p.kind, role: p.role, tenantId: p.tenantId };
      const user = await sessionUser(req);
      return { kind: p.kind, role: p.role, tenantId: p.tenantId, user: userView(user) };
    },
  );

  app.patch(
    '/api/v1/auth/me',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Change my name or language',
        body: Type.Object(
          {
            displayName: Type.Optional(DisplayName),
            language: Type.Optional(Type.Union([LanguageSchema, Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserSchema },
      },
    },
    async (req) => {
      const user = await sessionUser(req);
      return store.transaction(async (tx) => {
        const scope = user.tenantId ? tx.tenant(user.tenantId) : tx.platform;
        const after = await scope.users.update(user.id, req.body);
        if (!after) throw new ApiError('UNAUTHENTICATED');
        await scope.audit.record(actorOf(req), {
          action: 'user.update',
          resourceType: 'user',
          resourceId: user.id,
          before: auditSnapshot(userView(user)),
          after: auditSnapshot(userView(after)),
        });
        return userView(after);
      });
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Change my password (signs out my other sessions)',
        body: Type.Object(
          { currentPassword: Type.String({ maxLength: 200 }), newPassword: Password },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const user = await sessionUser(req);
      await checkPassword(req, user, req.body.currentPassword, 'currentPassword');
      const passwordHash = await hashPassword(req.body.newPassword);
      await store.transaction(async (tx) => {
        const scope = user.tenantId ? tx.tenant(user.tenantId) : tx.platform;
        await scope.users.update(user.id, { passwordHash });
        await tx.sessions.deleteForUser(user.id, principalOf(req).sessionId ?? undefined);
        await scope.audit.record(actorOf(req), {
          action: 'user.passwordChange',
          resourceType: 'user',
          resourceId: user.id,
          after: { passwordChanged: true },
        });
      });
      reply.code(204);
      return null;
    },
  );

  app.post(
    '/api/v1/auth/totp/setup',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Start two-factor sign-in: returns a new secret to scan; confirm with /auth/totp/enable',
        response: { 200: Type.Object({ secret: Type.String(), otpauthUri: Type.String() }) },
      },
    },
    async (req) => {
      const user = await sessionUser(req);
      if (user.totpEnabled)
        throw new ApiError('CONFLICT', 'Two-factor sign-in is already on; turn it off first');
      const secret = generateTotpSecret();
      await store.transaction(async (tx) => {
        const scope = user.tenantId ? tx.tenant(user.tenantId) : tx.platform;
        await scope.users.update(user.id, { totpSecret: secret, totpLastStep: null });
        await scope.audit.record(actorOf(req), {
          action: 'user.totpSetup',
          resourceType: 'user',
          resourceId: user.id,
          after: { totpSecretIssued: true },
        });
      });
      return { secret, otpauthUri: otpauthUri(secret, user.email) };
    },
  );

  app.post(
    '/api/v1/auth/totp/enable',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Turn on two-factor sign-in by confirming a code',
        body: Type.Object({ code: TotpCode }, { additionalProperties: false }),
        response: { 200: UserSchema },
      },
    },
    async (req) => {
      const user = await sessionUser(req);
      if (!user.totpSecret) throw new ApiError('CONFLICT', 'Call /auth/totp/setup first');
      // A wrong code here is a bad field, not a lost session: 400, so clients keep the user signed in.
      const step = matchTotp(user.totpSecret, req.body.code, now().getTime(), lastStep(user.totpLastStep));
      if (step === null) throw new ApiError('VALIDATION_FAILED', 'The code is wrong or expired', 'code');
      return store.transaction(async (tx) => {
        const scope = user.tenantId ? tx.tenant(user.tenantId) : tx.platform;
        const after = await scope.users.update(user.id, { totpEnabled: true, totpLastStep: step });
        await scope.audit.record(actorOf(req), {
          action: 'user.totpEnable',
          resourceType: 'user',
          resourceId: user.id,
          after: { totpEnabled: true },
        });
        return userView(after!);
      });
    },
  );

  app.post(
    '/api/v1/auth/totp/disable',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Turn off two-factor sign-in (needs the password)',
        body: Type.Object({ password: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: UserSchema },
      },
    },
    async (req) => {
      const user = await sessionUser(req);
      await checkPassword(req, user, req.body.password, 'password');
      return store.transaction(async (tx) => {
        const scope = user.tenantId ? tx.tenant(user.tenantId) : tx.platform;
        const after = await scope.users.update(user.id, { totpEnabled: false, totpSecret: null });
        await scope.audit.record(actorOf(req), {
          action: 'user.totpDisable',
          resourceType: 'user',
          resourceId: user.id,
          after: { totpEnabled: false },
        });
        return userView(after!);
      });
    },
  );
}

function lastStep(v: string | null): number | null {
  return v === null ? null : Number(v);
}

function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, maxAge: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: req.protocol === 'https',
    maxAge,
  });
}
