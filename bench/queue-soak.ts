/**
 * Queue soak (issue 7): 200 callers queue for 20 agents for several minutes,
 * through the real SIP service with anchored media on the embedded database.
 * Agents ring 1–3 s before answering (one offer in twenty is not answered at
 * all), talk 5–20 s and hang up; callers arrive over the first minute, and
 * one still waiting when their patience (30–150 s) runs out hangs up. The
 * queue overflows callers who wait over 120 s, and refuses a 121st waiting
 * caller. At the end every caller must be accounted for from the call records:
 * answered by an agent, abandoned, timed out or refused as full — none lost,
 * none left open — and the queue's live statistics must agree.
 *
 *   npx tsx bench/queue-soak.ts [callers] [agents] [arrivalSeconds]
 */
import { pino } from 'pino';
import { contactFor, type Dialog } from '../src/sip/dialog.js';
import type { SipRequest } from '../src/sip/message/index.js';
import { systemClock } from '../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../src/sip/transaction/layer.js';
import type { Destination } from '../src/sip/transaction/types.js';
import type { CallRecord } from '../src/store/schema.js';
import { queueConfig, queueMember } from '../test/helpers/queues.js';
import { sipFixture } from '../test/helpers/sip.js';
import { type TestUa, udpUa, Wire } from '../test/helpers/test-ua.js';

const CALLERS = Number(process.argv[2] ?? 200);
const AGENTS = Number(process.argv[3] ?? 20);
const ARRIVAL_SEC = Number(process.argv[4] ?? 60);
const DOMAIN = 'soak.bench.test';
const QUEUE = '7000';
const SDP = Buffer.from(
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n',
);

// A seeded generator: every run offers the same load.
let seed = 7;
const random = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};
const between = (a: number, b: number) => a + random() * (b - a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const agentNumbers = Array.from({ length: AGENTS }, (_, i) => String(4001 + i));
const callerNumbers = Array.from({ length: CALLERS }, (_, i) => String(50001 + i));

const fx = await sipFixture(
  DOMAIN,
  [...agentNumbers, ...callerNumbers].map((number) => ({ number })),
  { media: { bindAddress: '127.0.0.1', portMin: 46000, portMax: 47999, workers: 2 } },
  pino({ level: 'warn' }),
);
await fx.db.store.tenants.update(fx.tenantId, { maxConcurrentCalls: 1000 });
const scope = fx.db.store.tenant(fx.tenantId);
const queue = await scope.routing.create('queue', {
  name: 'Soak',
  number: QUEUE,
  config: queueConfig({
    strategy: 'leastRecent',
    members: agentNumbers.map((n) => queueMember(n)),
    agentRingSec: 15,
    retrySec: 5,
    wrapUpSec: 2,
    maxWaitSec: 120,
    maxCallers: 120,
    announcePosition: true,
    announceEverySec: 30,
    timeoutDestination: { kind: 'hangup', cause: 'busy' },
    fullDestination: { kind: 'hangup', cause: 'busy' },
  }),
});
await fx.sip.tenantChanged(fx.tenantId);
const engine = fx.sip.queues!;
const pbx: Destination = { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort };
const wire = new Wire();

async function phone(number: string): Promise<TestUa & { close(): void }> {
  const p = await udpUa(number, wire, systemClock);
  p.credentials = { username: number, password: `s-${number}-secret` };
  const reg = p.buildRequest('REGISTER', `sip:${DOMAIN}`, {
    from: `<sip:${number}@${DOMAIN}>`,
    to: `<sip:${number}@${DOMAIN}>`,
    headers: [
      ['Contact', contactFor(p.local, number)],
      ['Expires', '3600'],
    ],
  });
  const res = await p.send(reg, pbx).done();
  if (res?.status !== 200) throw new Error(`${number} did not register: ${res?.status}`);
  return p;
}

// Agents: ring a little, answer (or not), talk, hang up.
let agentAnswers = 0;
let agentIgnored = 0;
const agents = await Promise.all(agentNumbers.map(phone));
for (const a of agents) {
  a.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
    if (!tx || req.headers.get('To')?.includes('tag=')) return;
    tx.respond(a.response(req, 180));
    if (random() < 0.05) {
      agentIgnored++;
      return; // rings until the queue gives up on this agent
    }
    setTimeout(
      () => {
        const d: Dialog | null = a.accept(tx, source, SDP);
        if (!d) return;
        agentAnswers++;
        setTimeout(
          () => {
            if (a.dialogs.has(d.key)) void a.inDialog('BYE', { dialog: d }).done();
          },
          between(5_000, 20_000),
        );
      },
      between(1_000, 3_000),
    );
  });
}

// Callers: arrive over the first minute; one still waiting past their patience hangs up.
const callers = await Promise.all(callerNumbers.map(phone));
const waitingNow = () => new Set(engine.liveOf(fx.tenantId, queue.id)?.waiting.map((w) => w.caller) ?? []);
let maxWaiting = 0;
const sampler = setInterval(() => {
  maxWaiting = Math.max(maxWaiting, waitingNow().size);
}, 250);
const loopLag: number[] = [];
let lagAt = performance.now();
const lagTimer = setInterval(() => {
  const now = performance.now();
  loopLag.push(now - lagAt - 100);
  lagAt = now;
}, 100);

const t0 = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(
  callers.map(async (c, i) => {
    await sleep((i / CALLERS) * ARRIVAL_SEC * 1000 + between(0, 500));
    const req = c.buildRequest('INVITE', `sip:${QUEUE}@${DOMAIN}`, {
      from: `<sip:${c.name}@${DOMAIN}>`,
      body: SDP,
    });
    const res = await c.send(req, pbx).done();
    if (res?.status !== 200) return; // refused (queue full): the call record says so
    const patience = between(30_000, 150_000);
    const started = Date.now();
    // Wait until the call is over (an agent hung up, or the queue sent the caller on),
    // hanging up ourselves if still in line when patience runs out.
    while (c.dialogs.size > 0) {
      if (Date.now() - started > patience && waitingNow().has(c.name)) {
        for (const d of [...c.dialogs.values()]) await c.inDialog('BYE', { dialog: d }).done();
        break;
      }
      await sleep(200);
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
clearInterval(lagTimer);
for (let i = 0; i < 100 && fx.sip.calls.size > 0; i++) await sleep(100);

// Account for every caller from the call records.
await fx.db.store.callLog.drain();
const rows: CallRecord[] = [];
for (let offset = 0; ; offset += 200) {
  const page = await scope.calls.list({ limit: 200, offset });
  rows.push(...page.items);
  if (offset + 200 >= page.total) break;
}
const queueRows = rows.filter((r) => r.callee === QUEUE);
const outcome = (r: (typeof rows)[number]) => {
  const last = r.trail.filter((s) => s.kind === 'queue').at(-1)?.outcome ?? '(no queue step)';
  if (last.startsWith('answered by')) return 'answered';
  if (last.startsWith('caller hung up')) return 'abandoned';
  if (last.startsWith('waited')) return 'timed out';
  if (last.startsWith('queue full')) return 'full';
  return last;
};
const counts = new Map<string, number>();
for (const r of queueRows) counts.set(outcome(r), (counts.get(outcome(r)) ?? 0) + 1);
const open = queueRows.filter((r) => r.status !== 'ended').length;
const callersSeen = new Set(queueRows.map((r) => r.caller)).size;
const live = engine.liveOf(fx.tenantId, queue.id)!;
const t = live.today;
const lost = CALLERS - queueRows.length + open;
const lagSorted = loopLag.sort((a, b) => a - b);

console.log(
  `\nQueue soak: ${CALLERS} callers, ${AGENTS} agents, arrivals over ${ARRIVAL_SEC} s, ${seconds.toFixed(0)} s in all`,
);
console.log('| figure | value |\n| --- | --- |');
const row = (k: string, v: string | number) => console.log(`| ${k} | ${v} |`);
row('callers with a call record', `${queueRows.length} of ${CALLERS} (${callersSeen} distinct)`);
for (const k of ['answered', 'abandoned', 'timed out', 'full']) row(k, counts.get(k) ?? 0);
for (const [k, v] of counts)
  if (!['answered', 'abandoned', 'timed out', 'full'].includes(k)) row(`other: ${k}`, v);
row('records left open', open);
row('lost (no record or left open)', lost);
row(
  'live: offered / answered / abandoned / timed out / full',
  `${t.offered} / ${t.answered} / ${t.abandoned} / ${t.timedOut} / ${t.full}`,
);
row('service level (answered ≤ 20 s, of calls ended waiting)', `${t.serviceLevel[0]?.percent ?? '—'} %`);
row('ASA / AHT / longest wait (s)', `${t.asaSec} / ${t.ahtSec} / ${Math.round(t.longestWaitSec)}`);
row('most callers waiting at once', maxWaiting);
row('agent offers answered / left ringing', `${agentAnswers} / ${agentIgnored}`);
row(
  'process CPU (user + system)',
  `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} % of one core)`,
);
row(
  'event-loop lag p50 / p99 / max (ms)',
  `${lagSorted[Math.floor(lagSorted.length * 0.5)]?.toFixed(1)} / ${lagSorted[Math.floor(lagSorted.length * 0.99)]?.toFixed(1)} / ${lagSorted.at(-1)?.toFixed(1)}`,
);
const agreed =
  t.answered === (counts.get('answered') ?? 0) &&
  t.abandoned === (counts.get('abandoned') ?? 0) &&
  t.timedOut === (counts.get('timed out') ?? 0) &&
  t.full === (counts.get('full') ?? 0) &&
  t.offered === queueRows.length;
row('live statistics agree with the call records', agreed ? 'yes' : 'NO');

for (const p of [...agents, ...callers]) p.close();
await fx.close();
if (lost > 0 || !agreed) {
  console.error('FAILED: callers unaccounted for, or statistics disagree');
  process.exit(1);
}
