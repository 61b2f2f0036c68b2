/**
 * The SIP thread's own cost of one registration (the challenged REGISTER and the
 * authenticated one), without a load generator sharing the cores:
 *
 *   npx tsx bench/register-path.ts [rounds] [per-round]
 *
 * bench/register.ts measures the target (SIPp from another process, p99); its figures
 * move with whatever else the two cores run, which hides a change of a few microseconds
 * per request. Here the datagrams are built beforehand and handed to the UDP transport
 * as its socket would hand them over, and the answers go out through the real socket
 * (to a port nobody reads), so parsing, transactions, digest checks, the registrar and
 * the sends are all measured, and only the receive system call is not (the loop's turn
 * per registration is, a microsecond or two, the same for any tree). Figures: this
 * thread's CPU time (user + system) per registration, best and median of the rounds.
 */
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { authorize, DigestAuthenticator } from '../src/sip/auth.js';
import { sipFixture } from '../test/helpers/sip.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const PER_ROUND = Number(process.argv[3] ?? 5_000);
const USERS = 5_000;
const DOMAIN = 'bench.example.test';
const CLIENT = { address: '127.0.0.1', port: 9, family: 'IPv4' as const, size: 0 };

function threadCpuMicros(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100) * 1e6;
}

const secret = randomBytes(32);
// Nonces from an authenticator with the service's secret verify in the service's one.
const issuer = new DigestAuthenticator({ secret });
let seq = 0;

/** One registration's two datagrams, as SIPp's register.xml sends them. */
function registration(i: number): [Buffer, Buffer] {
  const user = String(100_000 + (i % USERS));
  const n = ++seq;
  const head = (cseq: number, extra: string) =>
    Buffer.from(
      `REGISTER sip:${DOMAIN} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-${n}-${cseq};rport\r\n` +
        'Max-Forwards: 70\r\n' +
        `From: <sip:${user}@${DOMAIN}>;tag=${n}SIPpTag00\r\n` +
        `To: <sip:${user}@${DOMAIN}>\r\n` +
        `Call-ID: ${n}-bench@127.0.0.1\r\n` +
        `CSeq: ${cseq} REGISTER\r\n` +
        `Contact: <sip:${user}@127.0.0.1:9>\r\n` +
        'Expires: 3600\r\n' +
        extra +
        'Content-Length: 0\r\n\r\n',
    );
  const challenge = issuer.challenge(DOMAIN)[0] ?? '';
  const authorization = authorize(
    challenge,
    { username: user, password: `pw-${user}` },
    { method: 'REGISTER', uri: `sip:${DOMAIN}` },
  );
  return [head(1, ''), head(2, `Authorization: ${authorization}\r\n`)];
}

const fx = await sipFixture(
  DOMAIN,
  Array.from({ length: USERS }, (_, i) => ({ number: String(100_000 + i), secret: `pw-${100_000 + i}` })),
  { secret },
);
try {
  // The transport's socket, reached past its privacy: this bench stands in for the kernel.
  const udp = (fx.sip.transports as unknown as { udp: EventEmitter }).udp;
  const run = async (count: number): Promise<number> => {
    const batch = Array.from({ length: count }, (_, i) => registration(i));
    const before = fx.sip.transports.stats.sent;
    const t0 = threadCpuMicros();
    for (const [first, second] of batch) {
      udp.emit('message', first, CLIENT);
      udp.emit('message', second, CLIENT);
      // As between the socket's events: what a handler left for the next tick (dgram's
      // lookup callbacks, promise jobs) runs before the next datagram.
      await new Promise((ok) => setImmediate(ok));
    }
    const spent = threadCpuMicros() - t0;
    const answered = fx.sip.transports.stats.sent - before;
    if (answered !== 2 * count) throw new Error(`expected ${2 * count} answers, sent ${answered}`);
    return spent / count;
  };
  await run(10_000); // warm-up: the JIT compiles the path
  const figures: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    figures.push(await run(PER_ROUND));
    await new Promise((ok) => setTimeout(ok, 50)); // let timers and the database catch up
  }
  figures.sort((a, b) => a - b);
  const median = figures[Math.floor(figures.length / 2)] ?? 0;
  console.log(
    `SIP thread CPU per registration (challenge + 200): best ${figures[0]?.toFixed(1)} µs, median ${median.toFixed(1)} µs over ${ROUNDS} rounds of ${PER_ROUND}`,
  );
} finally {
  await fx.close();
}
