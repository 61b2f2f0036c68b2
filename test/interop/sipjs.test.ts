/**
 * Interop inside `npm test`: SIP.js (an independent SIP stack, from npm) in Node
 * registers two extensions over WebSocket (RFC 7118) and calls one from the
 * other through the PBX, with WebRTC media (werift in place of a browser: ICE and
 * DTLS-SRTP end at the PBX's gateway and cross the relay as plain RTP), then hangs up.
 */
import {
  type Invitation,
  Inviter,
  type Message,
  Messager,
  Registerer,
  RegistererState,
  type Session,
  SessionState,
  Subscriber,
  UserAgent,
} from 'sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { NimbusNode } from '../../src/app.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import { startSipJsNode, until } from '../helpers/sipjs.js';
import { WeriftSdh } from '../helpers/werift-sdh.js';

describe('SIP.js over WebSocket', () => {
  let node: NimbusNode;
  const agents: UserAgent[] = [];

  beforeAll(async () => {
    node = await startSipJsNode('sipjs');
  });
  afterAll(async () => {
    for (const ua of agents) await ua.stop().catch(() => {});
    await node?.close();
  });

  async function agent(
    number: string,
    onInvite?: (inv: Invitation) => void,
    onMessage?: (m: Message) => void,
    server = `ws://127.0.0.1:${node.httpPort}/sip`,
  ): Promise<UserAgent> {
    const ext = node.demo!.extensions.find((e) => e.number === number)!;
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${number}@127.0.0.1`)!,
      authorizationUsername: number,
      authorizationPassword: ext.sipSecret,
      transportOptions: { server },
      sessionDescriptionHandlerFactory: () => new WeriftSdh(),
      logLevel: 'error',
      delegate: { ...(onInvite ? { onInvite } : {}), ...(onMessage ? { onMessage } : {}) },
    });
    agents.push(ua);
    await ua.start();
    const reg = new Registerer(ua);
    await reg.register();
    await until(() => reg.state === RegistererState.Registered, 5000, `${number} registered`);
    return ua;
  }

  it('registers two extensions and calls one from the other', async () => {
    let incoming: Session | null = null;
    let remoteIdentity = '';
    await agent('102', (inv) => {
      incoming = inv;
      remoteIdentity = inv.remoteIdentity.uri.user ?? '';
      void inv.accept();
    });
    const caller = await agent('101');
    const bindings = node.sip.location.lookup(`${node.demo!.tenantId}:102`, Date.now());
    expect(bindings[0]?.source.transport).toBe('WS');

    const inviter = new Inviter(caller, UserAgent.makeURI('sip:102@127.0.0.1')!);
    await inviter.invite();
    await until(() => inviter.state === SessionState.Established, 5000, 'call established');
    expect(remoteIdentity).toBe('101');
    // Media is anchored: the caller's WebRTC ends at the PBX's gateway (its own ICE and
    // DTLS), the callee's at another leg of it, and the relay carries audio between them.
    const callerSdh = inviter.sessionDescriptionHandler as WeriftSdh;
    const calleeSdh = (incoming as Session | null)?.sessionDescriptionHandler as WeriftSdh;
    const answer = callerSdh.pc.remoteDescription?.sdp ?? '';
    expect(answer).toMatch(/m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0/);
    expect(answer).toMatch(/a=fingerprint:sha-256 /);
    expect(answer).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    callerSdh.startTone();
    calleeSdh.startTone();
    await until(() => callerSdh.received > 25 && calleeSdh.received > 25, 10_000, 'audio both ways');

    await inviter.bye();
    await until(() => (incoming as Session | null)?.state === SessionState.Terminated);
    await until(() => node.sip.calls.size === 0);
    await until(() => false, 300).catch(() => {}); // let the CDR write land
    const calls = await node.store.tenant(node.demo!.tenantId).calls.list({ limit: 5, offset: 0 });
    expect(calls.items[0]).toMatchObject({ caller: '101', callee: '102', status: 'ended', cause: 'normal' });
  }, 30_000);

  // A re-INVITE between two browsers is answered by the PBX alone (call-media.ts); werift as the
  // re-offering client fails on its own renegotiation ("mid not assigned"), so the browser
  // end-to-end test (test/e2e) covers hold from a real browser.
  it('ends the call when the callee hangs up', async () => {
    let incoming: Invitation | null = null;
    await agent('103', (inv) => {
      incoming = inv;
      void inv.accept();
    });
    const caller = await agent('104');
    const inviter = new Inviter(caller, UserAgent.makeURI('sip:103@127.0.0.1')!);
    await inviter.invite();
    await until(() => inviter.state === SessionState.Established, 5000, 'call established');
    const callee = incoming as Invitation | null;
    const calleeSdh = () => callee?.sessionDescriptionHandler as WeriftSdh | undefined;
    await until(() => (calleeSdh()?.descriptions ?? 0) >= 1, 5000, 'callee has the offer');

    await callee!.bye();
    await until(() => inviter.state === SessionState.Terminated, 5000, 'caller hung up');
    await until(() => node.sip.calls.size === 0);
    await until(() => false, 300).catch(() => {});
    const calls = await node.store.tenant(node.demo!.tenantId).calls.list({ limit: 5, offset: 0, q: '103' });
    expect(calls.items[0]).toMatchObject({
      caller: '104',
      callee: '103',
      cause: 'normal',
      hangupBy: 'callee',
    });
  }, 30_000);

  it('watches a colleague with a busy lamp (SUBSCRIBE to the dialog package) and sends a MESSAGE', async () => {
    const texts: string[] = [];
    await agent(
      '102',
      (inv) => void inv.accept(),
      (m) => {
        texts.push(m.request.body);
        void m.accept();
      },
    );
    const watcher = await agent('105');
    const bodies: string[] = [];
    const sub = new Subscriber(watcher, UserAgent.makeURI('sip:102@127.0.0.1')!, 'dialog', {
      extraHeaders: ['Accept: application/dialog-info+xml'],
    });
    sub.delegate = {
      onNotify: (n) => {
        bodies.push(n.request.body);
        void n.accept();
      },
    };
    await sub.subscribe();
    await until(() => bodies.length >= 1, 5000, 'first NOTIFY');
    expect(bodies[0]).toContain('entity="sip:102@');
    expect(bodies[0]).not.toContain('<dialog ');

    const caller = await agent('103');
    const inviter = new Inviter(caller, UserAgent.makeURI('sip:102@127.0.0.1')!);
    await inviter.invite();
    await until(() => inviter.state === SessionState.Established, 5000, 'call established');
    await until(() => bodies.some((b) => b.includes('<state>confirmed</state>')), 5000, 'busy lamp');
    await inviter.bye();
    await until(() => !(bodies.at(-1) ?? '').includes('<dialog '), 5000, 'lamp back to idle');

    await new Messager(watcher, UserAgent.makeURI('sip:102@127.0.0.1')!, 'see me after the call').message();
    await until(() => texts.length === 1, 5000, 'message delivered');
    expect(texts[0]).toBe('see me after the call');
    await sub.unsubscribe();
  }, 30_000);

  it('registers and calls over secure WebSocket (wss:// on the HTTPS port)', async () => {
    const wss = `wss://127.0.0.1:${node.httpsPort}/sip`;
    let answered = false;
    await agent('104', (inv) => void inv.accept().then(() => (answered = true)), undefined, wss);
    const bindings = node.sip.location.lookup(`${node.demo!.tenantId}:104`, Date.now());
    expect(bindings.map((b) => b.source.transport)).toContain('WSS');
    const caller = await agent('105', undefined, undefined, wss);
    const inviter = new Inviter(caller, UserAgent.makeURI('sip:104@127.0.0.1')!);
    await inviter.invite();
    await until(() => inviter.state === SessionState.Established, 5000, 'call over WSS established');
    expect(answered).toBe(true);
    await inviter.bye();
    await until(() => node.sip.calls.size === 0, 5000, 'call ended');
  }, 30_000);

  it('serves the API over HTTPS on the same port as wss://', async () => {
    const { get } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      get(`https://127.0.0.1:${node.httpsPort}/healthz`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('refuses a WebSocket without the sip subprotocol', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${node.httpPort}/sip`);
    const outcome = await new Promise<string>((res) => {
      ws.on('open', () => res('open'));
      ws.on('error', () => res('refused'));
      ws.on('unexpected-response', () => res('refused'));
    });
    expect(outcome).toBe('refused');
  });

  it('a ring group and forwarding made through the REST API take the next call, no restart', async () => {
    const base = `http://127.0.0.1:${node.httpPort}`;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(node.demo!.admin),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1/tenants/${node.demo!.tenantId}${path}`, {
        method,
        headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const rang: string[] = [];
    const answering = (n: string) => (inv: Invitation) => {
      rang.push(`${n} <- ${inv.remoteIdentity.displayName}`);
      void inv.accept();
    };
    await agent('104', answering('104'));
    await agent('105', answering('105'));
    const caller = await agent('103');
    const group = await api('POST', '/ring-groups', {
      name: 'Accounts',
      number: '650',
      strategy: 'sequential',
      members: [{ number: '104', delaySec: 0, timeoutSec: 15 }],
      ringTimeoutSec: 30,
      skipBusy: false,
      callerIdPrefix: 'Acc: ',
      timeoutDestination: null,
    });
    expect(group.status).toBe(201);
    const dial = async (to: string) => {
      const inviter = new Inviter(caller, UserAgent.makeURI(`sip:${to}@127.0.0.1`)!);
      await inviter.invite();
      await until(() => inviter.state === SessionState.Established, 5000, `call to ${to} established`);
      await inviter.bye();
      await until(() => node.sip.calls.size === 0);
    };
    await dial('650');
    expect(rang).toEqual(['104 <- Acc: Support']);
    // The group's members change: the very next call follows.
    const changed = await api('PUT', `/ring-groups/${group.json.id}`, {
      name: 'Accounts',
      number: '650',
      strategy: 'sequential',
      members: [{ number: '105', delaySec: 0, timeoutSec: 15 }],
      ringTimeoutSec: 30,
      skipBusy: false,
      callerIdPrefix: 'Acc: ',
      timeoutDestination: null,
    });
    expect(changed.status).toBe(200);
    await dial('650');
    expect(rang).toEqual(['104 <- Acc: Support', '105 <- Acc: Support']);
    // 104 forwards everything to 105: a call to 104 rings 105.
    const exts = await api('GET', '/extensions?q=104');
    const id = (exts.json.items as { id: string; number: string }[]).find((e) => e.number === '104')!.id;
    expect(
      (await api('PATCH', `/extensions/${id}`, { forwarding: { always: { enabled: true, target: '105' } } }))
        .status,
    ).toBe(200);
    await dial('104');
    expect(rang).toEqual(['104 <- Acc: Support', '105 <- Acc: Support', '105 <- Support']);
    await until(() => false, 300).catch(() => {}); // let the CDR write land
    const calls = await node.store.tenant(node.demo!.tenantId).calls.list({ limit: 1, offset: 0 });
    expect(calls.items[0]!.trail.map((s) => s.outcome)).toEqual([
      'forward always, forwarded to 105',
      'answered',
    ]);
  }, 30_000);

  it('a queue calls back browser softphones: the agent first, then the caller, with audio both ways', async () => {
    const tenantId = node.demo!.tenantId;
    const scope = node.store.tenant(tenantId);
    // Two extensions of their own (the demo's are registered by the tests above).
    for (const number of ['106', '107'])
      await node.store.transaction((tx) =>
        tx.tenant(tenantId).extensions.create({
          number,
          displayName: `Browser ${number}`,
          userId: null,
          sipSecret: `secret-${number}-browser`,
          voicemailEnabled: false,
          voicemailPin: null,
          callClass: 'internal',
          dnd: false,
          ringTimeoutSec: 20,
          forwarding: { ...NO_FORWARDING },
        }),
      );
    const q = await scope.routing.create('queue', {
      name: 'Browsers',
      number: '760',
      config: queueConfig({
        members: [queueMember('106')],
        joinEmpty: [],
        keys: [{ key: '5', action: 'callback', destination: null }],
        callback: { maxPerAgent: 0, attempts: 1, retryDelaySec: 60, ringSec: 20 },
      }),
    });
    await node.sip.tenantChanged(tenantId);
    const sessions: Record<string, Session> = {};
    const answering = (number: string) => (inv: Invitation) => {
      sessions[number] = inv;
      void inv.accept();
    };
    const browser = async (number: string) => {
      const ua = new UserAgent({
        uri: UserAgent.makeURI(`sip:${number}@127.0.0.1`)!,
        authorizationUsername: number,
        authorizationPassword: `secret-${number}-browser`,
        transportOptions: { server: `ws://127.0.0.1:${node.httpPort}/sip` },
        sessionDescriptionHandlerFactory: () => new WeriftSdh(),
        logLevel: 'error',
        delegate: { onInvite: answering(number) },
      });
      agents.push(ua);
      await ua.start();
      const reg = new Registerer(ua);
      await reg.register();
      await until(() => reg.state === RegistererState.Registered, 5000, `${number} registered`);
      return ua;
    };
    await browser('106');
    const caller = await browser('107');
    const queues = node.sip.queues!;
    queues.pause(tenantId, '106', 'meeting'); // nobody answers yet: the caller waits
    const inviter = new Inviter(caller, UserAgent.makeURI('sip:760@127.0.0.1')!);
    await inviter.invite();
    await until(() => inviter.state === SessionState.Established, 5000, 'the queue answered');
    await inviter.info({
      requestOptions: {
        body: {
          contentDisposition: 'render',
          contentType: 'application/dtmf-relay',
          content: 'Signal=5\r\nDuration=160',
        },
      },
    });
    // The caller hears the confirmation and is let go; its place is kept.
    await until(() => inviter.state === SessionState.Terminated, 15_000, 'the caller let go');
    queues.unpause(tenantId, '106');
    // The PBX calls the agent's browser, then the caller's: WebRTC through the gateway both times.
    await until(() => sessions['106']?.state === SessionState.Established, 10_000, 'the agent answered');
    await until(() => sessions['107']?.state === SessionState.Established, 10_000, 'the caller answered');
    await until(() => queues.liveOf(tenantId, q.id)!.today.callbacksConnected === 1, 5000, 'connected');
    const agentSdh = sessions['106']!.sessionDescriptionHandler as WeriftSdh;
    const callerSdh = sessions['107']!.sessionDescriptionHandler as WeriftSdh;
    agentSdh.startTone();
    callerSdh.startTone();
    await until(() => agentSdh.received > 25 && callerSdh.received > 25, 10_000, 'audio both ways');
    await sessions['106']!.bye();
    await until(() => sessions['107']?.state === SessionState.Terminated, 5000, 'the caller hung up too');
  }, 60_000);

  it('paging reaches browser softphones: they are asked to answer by themselves and hear the pager', async () => {
    const tenantId = node.demo!.tenantId;
    const scope = node.store.tenant(tenantId);
    for (const number of ['108', '109', '110'])
      await node.store.transaction((tx) =>
        tx.tenant(tenantId).extensions.create({
          number,
          displayName: `Browser ${number}`,
          userId: null,
          sipSecret: `secret-${number}-browser`,
          voicemailEnabled: false,
          voicemailPin: null,
          callClass: 'internal',
          dnd: false,
          ringTimeoutSec: 20,
          forwarding: { ...NO_FORWARDING },
        }),
      );
    await scope.routing.create('ringGroup', {
      name: 'Floor',
      number: '770',
      config: {
        strategy: 'simultaneous',
        members: ['108', '109'].map((number) => ({ number, delaySec: 0, timeoutSec: 15 })),
        ringTimeoutSec: 30,
        skipBusy: false,
        callerIdPrefix: '',
        timeoutDestination: null,
      },
    });
    await node.sip.tenantChanged(tenantId);
    const paged: Record<string, Session> = {};
    const asked: string[] = [];
    const listener = (number: string) => (inv: Invitation) => {
      // What the web softphone reads to answer by itself (web/src/softphone/auto-answer.ts).
      asked.push(`${number}: ${inv.request.getHeader('Answer-Mode') ?? ''}`);
      paged[number] = inv;
      void inv.accept();
    };
    const browser = async (number: string, onInvite?: (inv: Invitation) => void) => {
      const ua = new UserAgent({
        uri: UserAgent.makeURI(`sip:${number}@127.0.0.1`)!,
        authorizationUsername: number,
        authorizationPassword: `secret-${number}-browser`,
        transportOptions: { server: `ws://127.0.0.1:${node.httpPort}/sip` },
        sessionDescriptionHandlerFactory: () => new WeriftSdh(),
        logLevel: 'error',
        ...(onInvite ? { delegate: { onInvite } } : {}),
      });
      agents.push(ua);
      await ua.start();
      const reg = new Registerer(ua);
      await reg.register();
      await until(() => reg.state === RegistererState.Registered, 5000, `${number} registered`);
      return ua;
    };
    await browser('108', listener('108'));
    await browser('109', listener('109'));
    const pager = await browser('110');
    const page = new Inviter(pager, UserAgent.makeURI('sip:*81770@127.0.0.1')!);
    await page.invite();
    await until(() => page.state === SessionState.Established, 5000, 'the page started');
    await until(
      () =>
        paged['108']?.state === SessionState.Established && paged['109']?.state === SessionState.Established,
      10_000,
      'both members answered',
    );
    expect(asked.sort()).toEqual(['108: Auto', '109: Auto']);
    // One voice to many speakers: the pager's audio reaches both browsers.
    (page.sessionDescriptionHandler as WeriftSdh).startTone();
    const a = paged['108']!.sessionDescriptionHandler as WeriftSdh;
    const b = paged['109']!.sessionDescriptionHandler as WeriftSdh;
    await until(() => a.received > 25 && b.received > 25, 10_000, 'the page heard by both');
    await page.bye();
    await until(
      () =>
        paged['108']?.state === SessionState.Terminated && paged['109']?.state === SessionState.Terminated,
      5000,
      'the members let go',
    );
  }, 60_000);
});
