/**
 * The WebRTC gateway against a real browser: Debian's Chromium (playwright-core) with
 * its fake microphone (a short 400 Hz beep twice a second) talks ICE + DTLS-SRTP to the
 * gateway on loopback, in both directions of the offer/answer, while this file plays the
 * media engine on the plain RTP side. The browser suite is skipped without Chromium
 * unless NIMBUS_REQUIRE_INTEROP=1 (CI), where it fails instead; the SDP and lifetime
 * checks need no browser and always run.
 */
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeG711, encodeG711, type G711Law } from '../../src/media/codecs/g711.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp/packet.js';
import {
  isWebRtcSdp,
  type PlainSide,
  WebRtcGateway,
  type WebRtcLeg,
  WebRtcSdpError,
} from '../../src/media/webrtc/gateway.js';
import { dominantHz, levelAt } from '../helpers/audio.js';

const CHROMIUM = process.env.NIMBUS_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

// --- the browser side ----------------------------------------------------------------------

/** What the page exposes as `window.t`; peer connections are referred to by index. */
interface PageApi {
  create(): Promise<number>;
  offer(id: number): Promise<string>;
  answer(id: number, sdp: string): Promise<string>;
  accept(id: number, sdp: string): Promise<void>;
  connected(id: number): Promise<void>;
  inbound(id: number): Promise<{ packets: number; energy: number; level: number; mimeType: string } | null>;
  dtmf(id: number, tones: string): Promise<void>;
  close(id: number): Promise<void>;
}

/**
 * Served from http://127.0.0.1 (a secure context, so getUserMedia works). Descriptions
 * are exchanged whole, after gathering, as SIP.js does. The remote audio plays into an
 * element, or Chromium would not decode it and its audio-level stats would stay zero.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>webrtc gateway test</title><script>
const pcs = [];
const gathered = (pc) => new Promise((resolve) => {
  if (pc.iceGatheringState === 'complete') return resolve();
  pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
});
window.t = {
  async create() {
    const pc = new RTCPeerConnection();
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    pc.addTrack(mic.getAudioTracks()[0], mic);
    pc.ontrack = (e) => {
      const el = new Audio();
      el.srcObject = new MediaStream([e.track]);
      el.play().catch(() => {});
      document.body.append(el);
    };
    return pcs.push(pc) - 1;
  },
  async offer(id) {
    const pc = pcs[id];
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    return pc.localDescription.sdp;
  },
  async answer(id, sdp) {
    const pc = pcs[id];
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    return pc.localDescription.sdp;
  },
  async accept(id, sdp) {
    await pcs[id].setRemoteDescription({ type: 'answer', sdp });
  },
  connected(id) {
    const pc = pcs[id];
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pc.connectionState === 'connected') resolve();
        if (pc.connectionState === 'failed') reject(new Error('browser: connection failed'));
      };
      pc.addEventListener('connectionstatechange', check);
      check();
    });
  },
  async inbound(id) {
    const stats = await pcs[id].getStats();
    let found = null;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        const codec = s.codecId ? stats.get(s.codecId) : undefined;
        found = {
          packets: s.packetsReceived ?? 0,
          energy: s.totalAudioEnergy ?? 0,
          level: s.audioLevel ?? 0,
          mimeType: codec ? codec.mimeType : '',
        };
      }
    });
    return found;
  },
  dtmf(id, tones) {
    pcs[id].getSenders()[0].dtmf.insertDTMF(tones, 100, 70);
  },
  close(id) {
    pcs[id].close();
  },
};
</script>`;

/** `window.t` of the page, called from here. */
function pageApi(page: Page): PageApi {
  const call = <T>(name: keyof PageApi, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      ([n, a]) => (globalThis as unknown as { t: Record<string, (...x: unknown[]) => unknown> }).t[n]!(...a),
      [name, args] as [string, unknown[]],
    ) as Promise<T>;
  return {
    create: () => call('create'),
    offer: (id) => call('offer', id),
    answer: (id, sdp) => call('answer', id, sdp),
    accept: (id, sdp) => call('accept', id, sdp),
    connected: (id) => call('connected', id),
    inbound: (id) => call('inbound', id),
    dtmf: (id, tones) => call('dtmf', id, tones),
    close: (id) => call('close', id),
  };
}

// --- the media engine side -----------------------------------------------------------------

/** A UDP socket on loopback playing the media engine: what it got, and a tone it can send. */
interface Engine {
  socket: Socket;
  side: PlainSide;
  got: Buffer[];
  /** Sends 20 ms packets of a 1 kHz tone to `to` in real time until stopped. */
  playTone(to: PlainSide, law: G711Law, pt: number): { stop(): void };
  close(): void;
}

async function engine(): Promise<Engine> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  return {
    socket,
    side: { address: '127.0.0.1', port: socket.address().port },
    got,
    playTone(to, law, pt) {
      let seq = 1000;
      let ts = 160_000;
      let phase = 0;
      const ssrc = 0x1234abcd;
      const timer = setInterval(() => {
        const pcm = new Int16Array(160);
        for (let i = 0; i < pcm.length; i++)
          pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * phase++) / 8000));
        const packet = serializeRtp({
          marker: seq === 1000,
          payloadType: pt,
          sequence: seq++ & 0xffff,
          timestamp: ts,
          ssrc,
          csrc: [],
          extension: null,
          payload: encodeG711(pcm, law),
        });
        ts += 160;
        socket.send(packet, to.port, to.address);
      }, 20);
      return { stop: () => clearInterval(timer) };
    },
    close: () => socket.close(),
  };
}

/** The RTP packets of `pt` among what the engine got, parsed. */
function rtpOf(got: readonly Buffer[], pt: number) {
  return got.flatMap((b) => {
    const r = parseRtp(b);
    return r.ok && r.packet.payloadType === pt ? [r.packet] : [];
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | null> | T | null, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The browser's microphone as the engine heard it: not silence, and its beep where the
 * fake device puts it (400 Hz). Only the loudest packet holds the 20 ms beep.
 */
function expectBeep(got: readonly Buffer[], law: G711Law, pt: number): void {
  const packets = rtpOf(got, pt);
  expect(packets.length).toBeGreaterThan(20);
  let loudest: Int16Array = new Int16Array(0);
  let peak = 0;
  for (const p of packets) {
    const pcm = decodeG711(p.payload, law);
    const max = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (max > peak) {
      peak = max;
      loudest = pcm;
    }
  }
  expect(peak).toBeGreaterThan(1000);
  expect(Math.abs(dominantHz(loudest) - 400)).toBeLessThan(60);
  expect(levelAt(loudest, 400)).toBeGreaterThan(levelAt(loudest, 1000) * 4);
}

/** A plain-side port is free again: something else can bind it. */
async function portIsFree(side: PlainSide): Promise<boolean> {
  const s = createSocket('udp4');
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.bind(side.port, side.address, () => r(true));
  });
  s.close();
  return ok;
}

const udpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

/** The count of UDP handles once sockets closed earlier have gone (werift closes its own without waiting). */
async function settledUdpHandles(): Promise<number> {
  let last = udpHandles();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = udpHandles();
    if (now === last) return now;
    last = now;
  }
}

// --- with Chromium ---------------------------------------------------------------------------

describe.runIf(haveChromium || required)('WebRTC gateway with Chromium', () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  let t: PageApi;
  let gateway: WebRtcGateway;

  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(`${CHROMIUM} is missing (apt-get install chromium) and NIMBUS_REQUIRE_INTEROP=1`);
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(PAGE);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    t = pageApi(page);
    gateway = new WebRtcGateway({ bindAddress: '127.0.0.1' });
  }, 30_000);

  afterAll(async () => {
    await gateway?.close();
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  /** Both directions of media on a connected leg, and DTMF from the browser. */
  async function exerciseMedia(id: number, leg: WebRtcLeg, eng: Engine): Promise<void> {
    const { codec, audioPt, telephoneEventPt } = leg.audio;
    const tone = eng.playTone(leg.plain, codec, audioPt);
    try {
      // Browser -> engine: plain RTP with the negotiated payload type, the fake mic's beep.
      await waitFor('a second of the browser audio', () =>
        rtpOf(eng.got, audioPt).length >= 60 ? true : null,
      );
      expectBeep(eng.got, codec, audioPt);
      // Engine -> browser: the tone arrives, is decoded as the negotiated codec and is not silence.
      const inbound = await waitFor('the browser to hear the tone', async () => {
        const s = await t.inbound(id);
        return s && s.packets > 20 && s.energy > 0 && s.level > 0 ? s : null;
      });
      expect(inbound.mimeType.toLowerCase()).toBe(codec === 'ulaw' ? 'audio/pcmu' : 'audio/pcma');
      // RFC 4733 events from the browser keep their own payload type.
      expect(telephoneEventPt).not.toBeNull();
      await t.dtmf(id, '5');
      const events = await waitFor('telephone-events', () => {
        const e = rtpOf(eng.got, telephoneEventPt!);
        return e.length >= 3 ? e : null;
      });
      expect(events[0]!.payload[0]).toBe(5);
    } finally {
      tone.stop();
    }
  }

  it('answers a browser offer with G.711 only and relays audio both ways', async () => {
    const eng = await engine();
    const id = await t.create();
    const offer = await t.offer(id);
    expect(isWebRtcSdp(offer)).toBe(true);
    const telephoneEvent = /a=rtpmap:(\d+) telephone-event\/8000/.exec(offer)?.[1];
    expect(telephoneEvent).toBeDefined();

    const started = Date.now();
    const { leg, sdp } = await gateway.answer(offer);
    // Host candidates only: no STUN round trip (werift would otherwise wait up to 5 s for Google's).
    expect(Date.now() - started).toBeLessThan(4000);
    expect(leg.audio).toEqual({ codec: 'ulaw', audioPt: 0, telephoneEventPt: Number(telephoneEvent) });
    // Only what the engine speaks, non-trickle, with the loopback candidate as the default.
    expect(sdp).toMatch(new RegExp(`^m=audio (\\d+) UDP/TLS/RTP/SAVPF 0 ${telephoneEvent}\\r$`, 'm'));
    expect(sdp).not.toMatch(/opus|G722|a=ice-options:trickle/i);
    expect(sdp).toMatch(/^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/m);
    expect(sdp).toMatch(/^a=end-of-candidates\r$/m);
    expect(sdp).toMatch(/^c=IN IP4 127\.0\.0\.1\r$/m);
    expect(leg.plain.address).toBe('127.0.0.1');

    leg.setTarget(eng.side);
    await t.accept(id, sdp);
    await Promise.all([leg.connected, t.connected(id)]);
    await exerciseMedia(id, leg, eng);

    await leg.close();
    await leg.closed;
    expect(await portIsFree(leg.plain)).toBe(true);
    await t.close(id);
    eng.close();
  });

  it('offers to the browser, takes its answer and relays audio both ways (A-law preferred)', async () => {
    const eng = await engine();
    const id = await t.create();
    const { leg, sdp } = await gateway.offer({ codecs: ['alaw', 'ulaw'] });
    expect(sdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 8 0 101\r$/m);
    expect(sdp).toMatch(/^a=setup:actpass\r$/m);
    leg.setTarget(eng.side);
    const answer = await t.answer(id, sdp);
    await leg.acceptAnswer(answer);
    expect(leg.audio).toEqual({ codec: 'alaw', audioPt: 8, telephoneEventPt: 101 });
    await Promise.all([leg.connected, t.connected(id)]);
    await exerciseMedia(id, leg, eng);

    await leg.close();
    expect(await portIsFree(leg.plain)).toBe(true);
    await t.close(id);
    eng.close();
  });
});

// --- without a browser -----------------------------------------------------------------------

/** A WebRTC offer as Chromium writes one (trimmed), with a host candidate nobody answers on. */
function browserOffer(formats = '111 0 8 126', extra = ''): string {
  return [
    'v=0',
    'o=- 1629043880871073537 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=msid-semantic: WMS s',
    `m=audio 9 UDP/TLS/RTP/SAVPF ${formats}`,
    'c=IN IP4 127.0.0.1',
    'a=candidate:1 1 udp 2122194687 127.0.0.1 9 typ host generation 0',
    'a=ice-ufrag:eVC1',
    'a=ice-pwd:7CQKUR6Ms1K8cErYLQvvjojG',
    'a=fingerprint:sha-256 86:BB:71:61:75:CA:18:62:40:92:74:EE:BB:D0:BE:63:48:FD:E6:A4:54:2D:31:DA:11:EE:2F:08:6C:A0:9F:7D',
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:110 telephone-event/48000',
    'a=rtpmap:126 telephone-event/8000',
    'a=ssrc:3683526323 cname:x',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'c=IN IP4 127.0.0.1',
    'a=mid:1',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:96 VP8/90000',
    extra,
  ]
    .filter((l) => l !== '')
    .join('\r\n')
    .concat('\r\n');
}

const PLAIN_OFFER =
  'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\n';

describe('WebRTC gateway: descriptions and lifetime', () => {
  let gateway: WebRtcGateway;
  beforeAll(() => {
    gateway = new WebRtcGateway({ bindAddress: '127.0.0.1', connectTimeoutMs: 700 });
  });
  afterAll(() => gateway.close());

  it('tells WebRTC offers from plain RTP ones', () => {
    expect(isWebRtcSdp(browserOffer())).toBe(true);
    expect(isWebRtcSdp(PLAIN_OFFER)).toBe(false);
    expect(isWebRtcSdp('garbage')).toBe(false);
  });

  it('rejects what it cannot answer with a typed error', async () => {
    const before = await settledUdpHandles();
    const reject = async (sdp: string) => {
      const e = await gateway.answer(sdp).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(WebRtcSdpError);
      return e as WebRtcSdpError;
    };
    const garbage = await reject('this is not SDP');
    expect(garbage.sdpError.status).toBe(400);
    expect(garbage.message).toMatch(/WebRTC SDP/);
    const plain = await reject(PLAIN_OFFER);
    expect(plain.sdpError.status).toBe(488);
    expect(plain.message).toMatch(/not WebRTC/);
    const opusOnly = await reject(browserOffer('111 126'));
    expect(opusOnly.sdpError.status).toBe(488);
    expect(opusOnly.message).toMatch(/neither PCMU nor PCMA/);
    // Nothing was left open by the refusals.
    expect(udpHandles()).toBe(before);
  });

  it('takes the G.711 law the browser lists first and refuses other m= lines', async () => {
    const { leg, sdp } = await gateway.answer(browserOffer('111 8 0 110 126'));
    expect(leg.audio).toEqual({ codec: 'alaw', audioPt: 8, telephoneEventPt: 126 });
    expect(sdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 8 126\r$/m);
    expect(sdp).toMatch(/^m=video 0 UDP\/TLS\/RTP\/SAVPF 96\r\nc=IN IP4 0\.0\.0\.0\r\na=mid:1\r$/m);
    expect(sdp).toMatch(/^a=group:BUNDLE 0\r$/m);
    await leg.close();
    const noEvents = await gateway.answer(browserOffer('0 111'));
    expect(noEvents.leg.audio).toEqual({ codec: 'ulaw', audioPt: 0, telephoneEventPt: null });
    expect(noEvents.sdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0\r$/m);
    await noEvents.leg.close();
  });

  it('advertises the configured address and keeps to its port range, legs gathering at once', async () => {
    // A node behind 1:1 NAT: sockets on the local address, the public one in the candidates.
    const gw = new WebRtcGateway({
      bindAddress: '127.0.0.1',
      advertiseAddresses: ['203.0.113.7'],
      portMin: 47_600,
      portMax: 47_619,
    });
    try {
      const answers = await Promise.all([1, 2, 3].map(() => gw.answer(browserOffer())));
      const ports = answers.map(({ sdp }) => {
        const candidates = [...sdp.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/gm)];
        expect(candidates.map((c) => c[1])).toEqual(['203.0.113.7']);
        expect(sdp).toMatch(/^c=IN IP4 203\.0\.113\.7\r$/m);
        return Number(candidates[0]![2]);
      });
      expect(new Set(ports).size).toBe(3);
      for (const p of ports) expect(p >= 47_600 && p <= 47_619).toBe(true);
    } finally {
      await gw.close();
    }
  });

  it('releases a leg that never connects when its time is up', async () => {
    const before = await settledUdpHandles();
    const { leg } = await gateway.answer(browserOffer());
    expect(udpHandles()).toBeGreaterThan(before);
    await expect(leg.connected).rejects.toThrow(/did not connect within 700 ms/);
    await leg.closed;
    expect(await portIsFree(leg.plain)).toBe(true);
    // werift closes its ICE socket without waiting for it.
    await waitFor('the sockets to close', () => (udpHandles() === before ? true : null), 2000);
  });

  it('closes its legs when it is closed, offered ones included', async () => {
    const gw = new WebRtcGateway({ bindAddress: '127.0.0.1' });
    const a = await gw.offer();
    const b = await gw.answer(browserOffer());
    await gw.close();
    await Promise.all([a.leg.closed, b.leg.closed]);
    await expect(a.leg.connected).rejects.toThrow(/closed before it connected/);
    await expect(gw.offer()).rejects.toThrow(/closed/);
    expect(await portIsFree(a.leg.plain)).toBe(true);
    await expect(a.leg.acceptAnswer(browserOffer())).rejects.toThrow(/closed/);
  });
});
