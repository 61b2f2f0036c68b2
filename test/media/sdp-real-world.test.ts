/**
 * Offers as real peers send them, written by hand after the shape each one uses:
 * parsed, recognised, and answered by the B2BUA's rules (tenant preference PCMA, PCMU).
 */
import { describe, expect, it } from 'vitest';
import { capabilities } from '../../src/media/sdp/capabilities.js';
import { answerOffer } from '../../src/media/sdp/negotiate.js';
import { parseSdp } from '../../src/media/sdp/parse.js';
import { SdpSession } from '../../src/media/sdp/session.js';
import { isWebRtcOffer } from '../../src/media/sdp/transport.js';
import type { SessionDescription } from '../../src/media/sdp/types.js';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;

/** baresip 3.x with opus, G.722 and G.711 loaded. */
const BARESIP = sdp(
  'v=0',
  'o=- 2890844526 2890844526 IN IP4 192.168.1.20',
  's=-',
  'c=IN IP4 192.168.1.20',
  't=0 0',
  'a=tool:baresip 3.10.1',
  'm=audio 10366 RTP/AVP 96 9 0 8 101',
  'b=AS:64',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=rtcp-rsize',
  'a=ssrc:1803540219 cname:4f3c3a1e-6a8c-4b7e-9d8e-1c0e2b8e9f10',
);

/** Chrome through SIP.js over WSS: DTLS-SRTP, ICE, BUNDLE, many codecs, c= only in the m= section. */
const SIPJS_CHROME = sdp(
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS 6bd9f2a5-3c2e-4a7b-8a55-0a0c3d3e1f22',
  'm=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 198.51.100.7',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1467250027 1 udp 2122260223 192.168.1.50 54321 typ host generation 0 network-id 1',
  'a=candidate:842163049 1 udp 1686052607 198.51.100.7 54321 typ srflx raddr 192.168.1.50 rport 54321 generation 0 network-id 1',
  'a=ice-ufrag:Ufr4',
  'a=ice-pwd:l8Ue0TLEpHcV9WFFuDxaO4Hn',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendrecv',
  'a=msid:6bd9f2a5-3c2e-4a7b-8a55-0a0c3d3e1f22 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:3735928559 cname:kq3Hb0xXv1zYw2Ve',
);

/** A Yealink T4x desk phone: fmtp before its rtpmap, G.729 with annexb=no. */
const YEALINK = sdp(
  'v=0',
  'o=- 20012 20012 IN IP4 10.0.0.31',
  's=SDP data',
  'c=IN IP4 10.0.0.31',
  't=0 0',
  'm=audio 11796 RTP/AVP 0 8 18 9 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:9 G722/8000',
  'a=fmtp:101 0-15',
  'a=rtpmap:101 telephone-event/8000',
  'a=ptime:20',
  'a=sendrecv',
);

/** A Polycom VVX: direction at session level, telephone-event on 127, G.722.1 dynamic. */
const POLYCOM = sdp(
  'v=0',
  'o=- 1691502312 1691502312 IN IP4 10.0.0.40',
  's=Polycom IP Phone',
  'c=IN IP4 10.0.0.40',
  't=0 0',
  'a=sendrecv',
  'm=audio 2222 RTP/AVP 9 102 0 8 18 127',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:102 G7221/16000',
  'a=fmtp:102 bitrate=32000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:127 telephone-event/8000',
);

/** Asterisk (chan_pjsip) as a trunk peer: PCMA first, maxptime, events 0-16. */
const ASTERISK = sdp(
  'v=0',
  'o=- 1937589145 1937589147 IN IP4 198.51.100.10',
  's=Asterisk',
  'c=IN IP4 198.51.100.10',
  't=0 0',
  'm=audio 17582 RTP/AVP 8 0 3 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:3 GSM/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
);

/** SIPp's uac scenario: one static codec, no telephone-event, a username in o=. */
const SIPP = sdp(
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
);

/** Linphone-style: telephone-event on 96 and a video stream we do not take. */
const LINPHONE_VIDEO = sdp(
  'v=0',
  'o=bob 3048 1218 IN IP4 192.168.0.77',
  's=Talk',
  'c=IN IP4 192.168.0.77',
  't=0 0',
  'a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics',
  'm=audio 7078 RTP/AVP 8 0 96',
  'a=rtpmap:96 telephone-event/8000',
  'a=rtcp:7079',
  'm=video 9078 RTP/AVP 97',
  'a=rtpmap:97 VP8/90000',
  'a=rtcp-fb:* ccm tmmbr',
);

const caps = capabilities({ codecs: ['PCMA', 'PCMU'] });
const local = { addresses: ['203.0.113.5'] as [string], ports: [40000] };

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

function answered(text: string) {
  const r = answerOffer(parsed(text), caps, local);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

describe('real-world offers', () => {
  it('baresip: opus first, PCMA chosen by tenant preference, events 0-15', () => {
    const d = parsed(BARESIP);
    expect(d.media[0]!.formats.map((f) => f.name)).toEqual([
      'opus',
      'G722',
      'PCMU',
      'PCMA',
      'telephone-event',
    ]);
    const a = answered(BARESIP);
    expect(a.streams[0]).toMatchObject({
      remote: { address: '192.168.1.20', port: 10366 },
      remoteRtcp: { address: '192.168.1.20', port: 10367 },
      codec: { name: 'PCMA', sendPayloadType: 8, receivePayloadType: 8 },
      telephoneEvent: { sendPayloadType: 101, events: [{ from: 0, to: 15 }] },
      direction: 'sendrecv',
    });
    expect(a.body.media[0]!.fmts).toEqual(['8', '101']);
    expect(a.body.media[0]!.formats[1]!.fmtp).toBe('0-15');
  });

  it('SIP.js/Chrome: recognised as WebRTC and refused by the plain RTP relay with 488/302', () => {
    const d = parsed(SIPJS_CHROME);
    expect(isWebRtcOffer(d)).toBe(true);
    expect(d.media[0]).toMatchObject({ protocol: 'UDP/TLS/RTP/SAVPF', ice: true, dtls: true, rtcpMux: true });
    expect(d.media[0]!.connection).toEqual({ family: 'IP4', address: '198.51.100.7' });
    expect(d.media[0]!.telephoneEvent).toMatchObject({ payloadType: 126, clockRate: 8000 });
    expect(d.media[0]!.formats).toHaveLength(8);
    const r = answerOffer(d, caps, local);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code: 'not-acceptable', status: 488, warning: { code: 302 } });
  });

  it('no plain offer is taken for WebRTC', () => {
    for (const text of [BARESIP, YEALINK, POLYCOM, ASTERISK, SIPP, LINPHONE_VIDEO]) {
      expect(isWebRtcOffer(parsed(text))).toBe(false);
    }
  });

  it('Yealink: PCMA out of four, telephone-event with fmtp written before rtpmap', () => {
    const a = answered(YEALINK);
    expect(a.streams[0]!.codec.name).toBe('PCMA');
    expect(a.streams[0]!.telephoneEvent).toMatchObject({
      sendPayloadType: 101,
      events: [{ from: 0, to: 15 }],
    });
    expect(a.streams[0]!.ptime).toBe(20);
  });

  it('Polycom: session-level sendrecv, telephone-event 127 kept in the answer', () => {
    const d = parsed(POLYCOM);
    expect(d.media[0]!.direction).toBe('sendrecv');
    const a = answered(POLYCOM);
    expect(a.body.media[0]!.fmts).toEqual(['8', '127']);
    expect(a.streams[0]!.telephoneEvent).toMatchObject({ sendPayloadType: 127, receivePayloadType: 127 });
  });

  it('Asterisk: events 0-16 are answered as 0-16, maxptime read', () => {
    const d = parsed(ASTERISK);
    expect(d.media[0]).toMatchObject({ ptime: 20, maxptime: 150 });
    const a = answered(ASTERISK);
    expect(a.body.media[0]!.formats.find((f) => f.name === 'telephone-event')!.fmtp).toBe('0-16');
  });

  it('SIPp: PCMU only, answered without telephone-event', () => {
    const a = answered(SIPP);
    expect(a.body.media[0]!.fmts).toEqual(['0']);
    expect(a.streams[0]).toMatchObject({ codec: { name: 'PCMU' }, telephoneEvent: null });
  });

  it('Linphone with video: telephone-event 96, a=rtcp honoured, video refused in place', () => {
    const a = answered(LINPHONE_VIDEO);
    expect(a.body.media.map((m) => [m.kind, m.port])).toEqual([
      ['audio', 40000],
      ['video', 0],
    ]);
    expect(a.body.media[1]!.fmts).toEqual(['97']);
    expect(a.streams[0]).toMatchObject({
      codec: { name: 'PCMA' },
      telephoneEvent: { sendPayloadType: 96 },
      remoteRtcp: { address: '192.168.0.77', port: 7079 },
    });
  });

  it('each answer is written as valid SDP that parses back', () => {
    for (const text of [BARESIP, YEALINK, POLYCOM, ASTERISK, SIPP, LINPHONE_VIDEO]) {
      const a = answered(text);
      const out = new SdpSession({ address: '203.0.113.5', sessionId: '7' }).render(a.body);
      const back = parseSdp(out);
      expect(back.ok).toBe(true);
      if (back.ok) expect(back.value.media.length).toBe(parsed(text).media.length);
    }
  });
});
