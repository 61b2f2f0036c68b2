/**
 * SDP session versions across a call (RFC 3264 §8): one o= id per leg, the version up by
 * one on every change and unchanged otherwise, through hold, resume and session refresh
 * on both legs of the B2BUA.
 */
import { describe, expect, it } from 'vitest';
import { capabilities, type LocalMedia } from '../../src/media/sdp/capabilities.js';
import { answerOffer } from '../../src/media/sdp/negotiate.js';
import { buildOffer, readAnswer } from '../../src/media/sdp/offer.js';
import { parseSdp } from '../../src/media/sdp/parse.js';
import { SdpSession } from '../../src/media/sdp/session.js';
import type { Direction, SessionBody, SessionDescription } from '../../src/media/sdp/types.js';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const CAPS = capabilities({ codecs: ['PCMA', 'PCMU'] });
const LEG_A: LocalMedia = { addresses: ['203.0.113.5'], ports: [40000] };
const LEG_B: LocalMedia = { addresses: ['203.0.113.5'], ports: [40002] };

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

/** Phone A's offer, version `v`, with a direction or an old-style hold address. */
function phoneOffer(
  v: number,
  direction: Direction = 'sendrecv',
  address = '192.168.1.20',
): SessionDescription {
  return parsed(
    sdp(
      'v=0',
      `o=- 777 ${v} IN IP4 192.168.1.20`,
      's=-',
      `c=IN IP4 ${address}`,
      't=0 0',
      'm=audio 10000 RTP/AVP 0 8 101',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      `a=${direction}`,
    ),
  );
}

function answerTo(offer: SessionDescription, local: LocalMedia = LEG_A): SessionBody {
  const r = answerOffer(offer, CAPS, local);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value.body;
}

function oLine(text: string): string {
  return text.split('\r\n').find((l) => l.startsWith('o='))!;
}

describe('SdpSession versions', () => {
  it('starts at the initial version with a fixed id and address', () => {
    const s = new SdpSession({ address: '203.0.113.5', sessionId: '123456' });
    expect(s.version).toBeNull();
    expect(s.local).toBeNull();
    const text = s.render(answerTo(phoneOffer(1)));
    expect(oLine(text)).toBe('o=- 123456 1 IN IP4 203.0.113.5');
    expect(s.version).toBe('1');
  });

  it('keeps the version for an identical description and returns the same one', () => {
    const s = new SdpSession({ address: '203.0.113.5' });
    const first = s.describe(answerTo(phoneOffer(1)));
    const again = s.describe(answerTo(phoneOffer(1)));
    expect(again).toBe(first);
    expect(s.version).toBe('1');
  });

  it('bumps the version by one on a port change, a direction change, and a change back', () => {
    const s = new SdpSession({ address: '203.0.113.5', sessionId: '42' });
    s.describe(answerTo(phoneOffer(1)));
    s.describe(answerTo(phoneOffer(1), { ...LEG_A, ports: [40010] }));
    expect(s.version).toBe('2');
    s.describe(answerTo(phoneOffer(2, 'sendonly'), { ...LEG_A, ports: [40010] }));
    expect(s.version).toBe('3');
    s.describe(answerTo(phoneOffer(3), LEG_A));
    expect(s.version).toBe('4');
    expect(s.local!.origin.sessionId).toBe('42');
  });

  it('counts past 2^53 exactly', () => {
    const s = new SdpSession({ address: '2001:db8::1', sessionId: '1', initialVersion: '9007199254740993' });
    s.describe(answerTo(phoneOffer(1)));
    const text = s.render(answerTo(phoneOffer(1), { ...LEG_A, ports: [40010] }));
    expect(oLine(text)).toBe('o=- 1 9007199254740994 IN IP6 2001:db8::1');
  });

  it('makes a random numeric session id when none is given', () => {
    const a = new SdpSession({ address: '203.0.113.5' });
    const b = new SdpSession({ address: '203.0.113.5' });
    expect(a.sessionId).toMatch(/^\d+$/);
    expect(a.sessionId).not.toBe(b.sessionId);
  });

  it('refuses ids and versions that are not digits', () => {
    expect(() => new SdpSession({ address: '203.0.113.5', sessionId: 'abc' })).toThrow(RangeError);
    expect(() => new SdpSession({ address: '203.0.113.5', initialVersion: '-1' })).toThrow(RangeError);
  });
});

describe('a call through the B2BUA: hold and resume on both legs', () => {
  it('versions each leg independently and only when its SDP changes', () => {
    const legA = new SdpSession({ address: '203.0.113.5', sessionId: '1000' });
    const legB = new SdpSession({ address: '203.0.113.5', sessionId: '2000' });
    const versions = () => [legA.version, legB.version];

    // INVITE: A offers; we offer to B; B answers; we answer A.
    expect(legA.observeRemote(phoneOffer(1))).toBe('initial');
    const offerB = legB.describe(buildOffer(CAPS, LEG_B));
    const answerB = parsed(
      sdp(
        'v=0',
        'o=- 55 1 IN IP4 198.51.100.20',
        's=-',
        'c=IN IP4 198.51.100.20',
        't=0 0',
        'm=audio 30000 RTP/AVP 8 101',
        'a=rtpmap:101 telephone-event/8000',
      ),
    );
    expect(readAnswer(offerB, answerB).ok).toBe(true);
    legA.describe(answerTo(phoneOffer(1)));
    expect(versions()).toEqual(['1', '1']);

    // A holds (sendonly): our answer becomes recvonly, and B is held with a sendonly re-offer.
    expect(legA.observeRemote(phoneOffer(2, 'sendonly'))).toBe('changed');
    const heldA = legA.describe(answerTo(phoneOffer(2, 'sendonly')));
    const holdB = legB.describe(buildOffer(CAPS, { ...LEG_B, direction: 'sendonly' }, legB.local));
    expect(heldA.media[0]!.direction).toBe('recvonly');
    expect(holdB.media[0]!.direction).toBe('sendonly');
    expect(versions()).toEqual(['2', '2']);

    // A refreshes the session (RFC 4028) with the same SDP: nothing changes, nothing is re-offered.
    expect(legA.observeRemote(phoneOffer(2, 'sendonly'))).toBe('unchanged');
    legA.describe(answerTo(phoneOffer(2, 'sendonly')));
    expect(versions()).toEqual(['2', '2']);

    // A resumes: back to sendrecv on both legs, one version more each.
    legA.describe(answerTo(phoneOffer(3)));
    const resumeB = legB.describe(buildOffer(CAPS, LEG_B, legB.local));
    expect(resumeB.media[0]!.direction).toBe('sendrecv');
    expect(versions()).toEqual(['3', '3']);

    // Old-style hold from A (c=0.0.0.0), then resume.
    const oldHold = answerOffer(phoneOffer(4, 'sendrecv', '0.0.0.0'), CAPS, LEG_A);
    if (!oldHold.ok) throw new Error('hold refused');
    expect(oldHold.value.streams[0]!.remote).toBeNull();
    expect(legA.describe(oldHold.value.body).media[0]!.direction).toBe('recvonly');
    legA.describe(answerTo(phoneOffer(5)));
    expect(versions()).toEqual(['5', '3']);

    // Every description of a leg keeps its o= id and address.
    expect(legA.local!.origin).toMatchObject({ sessionId: '1000', connection: { address: '203.0.113.5' } });
    expect(legB.local!.origin.sessionId).toBe('2000');
  });

  it('inactive hold from both sides gives inactive, and its re-offer keeps the m= lines', () => {
    const legA = new SdpSession({ address: '203.0.113.5', sessionId: '1' });
    const held = legA.describe(answerTo(phoneOffer(1, 'inactive')));
    expect(held.media[0]!.direction).toBe('inactive');
    const reoffer = legA.describe(buildOffer(CAPS, { ...LEG_A, direction: 'sendonly' }, legA.local));
    expect(reoffer.media).toHaveLength(1);
    expect(legA.version).toBe('2');
  });
});

describe('re-offers from the peer (RFC 3264 §8)', () => {
  const withVideo = parsed(
    sdp(
      'v=0',
      'o=- 9 1 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 4000 RTP/AVP 8',
      'm=video 4002 RTP/AVP 96',
      'a=rtpmap:96 VP8/90000',
    ),
  );

  it('accepts a re-offer with the same or more m= lines', () => {
    const s = new SdpSession({ address: '203.0.113.5' });
    s.describe(answerTo(withVideo));
    expect(s.checkReoffer(withVideo)).toBeNull();
    expect(new SdpSession({ address: '203.0.113.5' }).checkReoffer(withVideo)).toBeNull();
  });

  it('refuses one with fewer m= lines', () => {
    const s = new SdpSession({ address: '203.0.113.5' });
    s.describe(answerTo(withVideo));
    expect(s.checkReoffer(phoneOffer(2))).toMatchObject({ code: 'malformed', status: 400 });
  });

  it('refuses one that changes the media type of a live stream, but not of a disabled one', () => {
    const s = new SdpSession({ address: '203.0.113.5' });
    s.describe(answerTo(withVideo));
    const swapped = parsed(
      sdp(
        'v=0',
        'o=- 9 2 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=video 4000 RTP/AVP 96',
        'a=rtpmap:96 VP8/90000',
        'm=audio 4002 RTP/AVP 8',
      ),
    );
    expect(s.checkReoffer(swapped)).toMatchObject({ code: 'malformed' });
    // Our answer disabled the video line, so that slot may be reused for another type (§8.1).
    const reused = parsed(
      sdp(
        'v=0',
        'o=- 9 2 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 4000 RTP/AVP 8',
        'm=image 4002 udptl t38',
      ),
    );
    expect(s.checkReoffer(reused)).toBeNull();
  });

  it('tells a changed description from a repeated one by content, not version', () => {
    const s = new SdpSession({ address: '203.0.113.5' });
    expect(s.observeRemote(phoneOffer(1))).toBe('initial');
    expect(s.observeRemote(phoneOffer(2))).toBe('unchanged');
    expect(s.observeRemote(phoneOffer(2, 'sendonly'))).toBe('changed');
  });
});
