/**
 * SRTP cost per packet on one core: what an SRTP leg adds to the relay's work.
 * Run: npx tsx bench/srtp.ts [seconds]
 *
 * One 20 ms G.711 packet (12-octet header, 160 octets of audio) protected
 * (AES-128-CM + HMAC-SHA1-80 over node:crypto) and authenticated + decrypted
 * again, as a relay does for an SRTP leg in each direction. Reported per
 * CPU-second, and as the SRTP legs one core could carry at 50 packets a second
 * each way (every other cost of the relay left aside).
 */
import { serializeRtp } from '../src/media/rtp/packet.js';
import { SrtpContext } from '../src/media/rtp/srtp.js';

const seconds = Number(process.argv[2] ?? 5);
const key = Buffer.alloc(30, 0x42);
const packet = (seq: number) =>
  serializeRtp({
    marker: false,
    payloadType: 8,
    sequence: seq & 0xffff,
    timestamp: (seq * 160) >>> 0,
    ssrc: 0x12345678,
    csrc: [],
    extension: null,
    payload: Buffer.alloc(160, 0xd5),
  });

function run(label: string, body: (i: number) => void): number {
  // Warm up, then count iterations in CPU time.
  for (let i = 0; i < 20_000; i++) body(i);
  const start = process.cpuUsage();
  let n = 0;
  for (;;) {
    for (let i = 0; i < 2000; i++) body(n++);
    const used = process.cpuUsage(start);
    const cpu = (used.user + used.system) / 1e6;
    if (cpu >= seconds) {
      const rate = n / cpu;
      console.log(`${label}: ${Math.round(rate / 1000)} k packets per CPU-second`);
      return rate;
    }
  }
}

const plain = Array.from({ length: 1024 }, (_, i) => packet(i));
const sender = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
const protect = run('protect', (i) => sender.protectRtp(plain[i & 1023]!));

const sealer = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
const sealed = Array.from({ length: 70_000 }, (_, i) => sealer.protectRtp(packet(i)));
let receiver = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
const unprotect = run('authenticate + decrypt', (i) => {
  const k = i % sealed.length;
  // A fresh context per pass over the sequence range: each packet is new to it (no replay).
  if (k === 0) receiver = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
  receiver.unprotectRtp(Buffer.from(sealed[k]!));
});
const perLeg = 50 / protect + 50 / unprotect;
console.log(`SRTP legs one core could carry (50 packets/s each way): ${Math.round(1 / perLeg)}`);
