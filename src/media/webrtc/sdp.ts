/**
 * The SDP side of the WebRTC gateway: recognising a browser's offer, choosing the one
 * G.711 codec (and RFC 4733 telephone-event) the media engine will relay, and trimming
 * the offer to exactly that before werift sees it.
 *
 * werift negotiates by MIME type alone (telephone-event/48000 matches telephone-event
 * as well as /8000), keeps the remote order, and sends with the first codec left. Handing
 * it an offer that lists only the formats we mean to use makes its answer, its sender
 * and what the browser will send all agree with `NegotiatedAudio`.
 *
 * Offers are read with our own SDP parser (src/media/sdp), the same one the B2BUA uses
 * to decide that an offer is WebRTC, so the two never disagree.
 */

import { notAcceptable } from '../sdp/errors.js';
import {
  isWebRtcMedia,
  isWebRtcOffer,
  type MediaDescription,
  parseSdp,
  type RtpFormat,
  type SdpError,
} from '../sdp/index.js';

/** The law of the G.711 audio the gateway relays; same names as `G711Law` in codecs/g711. */
export type WebRtcAudioCodec = 'ulaw' | 'alaw';

/** What was agreed with the browser; the plain RTP side uses the same payload types. */
export interface NegotiatedAudio {
  readonly codec: WebRtcAudioCodec;
  /** 0 for PCMU and 8 for PCMA in practice, but whatever the description said. */
  readonly audioPt: number;
  /** The telephone-event/8000 payload type, or null when the browser did not offer one. */
  readonly telephoneEventPt: number | null;
}

/**
 * An SDP the gateway cannot use, with the SIP status it maps to: `malformed` (400) for a
 * body that is not SDP, `not-acceptable` (488 with a Warning) for one that is but offers
 * nothing we can do, `answer-mismatch` (no status: the call can only be ended) for a
 * browser's answer that fits nothing we offered.
 */
export class WebRtcSdpError extends Error {
  readonly sdpError: SdpError;
  constructor(sdpError: SdpError) {
    super(`WebRTC SDP: ${sdpError.message}`);
    this.name = 'WebRtcSdpError';
    this.sdpError = sdpError;
  }
}

/** True when the body has a live m=audio line with WebRTC media (UDP/TLS/RTP/SAVPF, or ICE + DTLS). */
export function isWebRtcSdp(sdp: string): boolean {
  const parsed = parseSdp(sdp);
  return parsed.ok && isWebRtcOffer(parsed.value);
}

const G711: Readonly<Record<string, WebRtcAudioCodec>> = { pcmu: 'ulaw', pcma: 'alaw' };

function isG711(f: RtpFormat): boolean {
  return f.name.toLowerCase() in G711 && f.clockRate === 8000 && f.channels === 1;
}

function isEvent8k(f: RtpFormat): boolean {
  return f.name.toLowerCase() === 'telephone-event' && f.clockRate === 8000;
}

/** The first G.711 format in the description's own order, and its 8 kHz telephone-event. */
function chooseAudio(m: MediaDescription): NegotiatedAudio | null {
  const audio = m.formats.find(isG711);
  if (!audio) return null;
  return {
    codec: G711[audio.name.toLowerCase()]!,
    audioPt: audio.payloadType,
    telephoneEventPt: m.formats.find(isEvent8k)?.payloadType ?? null,
  };
}

function fail(error: SdpError): never {
  throw new WebRtcSdpError(error);
}

/** Reads a description from the browser and picks its WebRTC audio stream; throws `WebRtcSdpError`. */
function readAudio(sdp: string, what: 'offer' | 'answer'): { index: number; audio: NegotiatedAudio } {
  const parsed = parseSdp(sdp);
  if (!parsed.ok) fail(parsed.error);
  const media = parsed.value.media;
  const index = media.findIndex((m) => m.kind === 'audio' && m.port !== 0);
  const m = media[index];
  const mismatch = (message: string): SdpError =>
    what === 'answer'
      ? { code: 'answer-mismatch', status: null, message }
      : notAcceptable(304, message).error;
  if (!m) fail(mismatch(`the ${what} has no live m=audio line`));
  if (!isWebRtcMedia(m))
    fail(
      what === 'answer'
        ? mismatch(`the answer's audio is ${m.protocol}, not WebRTC`)
        : notAcceptable(302, `the offer's audio is ${m.protocol}, not WebRTC media (UDP/TLS/RTP/SAVPF)`)
            .error,
    );
  if (!m.ice || !m.dtls) fail(mismatch(`the ${what}'s audio lacks ICE credentials or a DTLS fingerprint`));
  const audio = chooseAudio(m);
  if (!audio) {
    const listed = m.formats.map((f) => `${f.name}/${f.clockRate}`).join(' ') || m.fmts.join(' ');
    fail(
      what === 'answer'
        ? mismatch(`the answer keeps neither PCMU nor PCMA (${listed})`)
        : notAcceptable(305, `the offer lists neither PCMU nor PCMA (${listed})`).error,
    );
  }
  return { index, audio };
}

/** A description's lines cut at each m= line: [session, media 0, media 1, ...]. */
function sections(sdp: string): string[][] {
  const out: string[][] = [[]];
  for (const line of sdp.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('m=')) out.push([]);
    out[out.length - 1]!.push(line);
  }
  return out;
}

function join(parts: readonly (readonly string[])[]): string {
  return `${parts.flat().join('\r\n')}\r\n`;
}

function midOf(section: readonly string[]): string | null {
  const line = section.find((l) => l.startsWith('a=mid:'));
  return line ? line.slice('a=mid:'.length).trim() : null;
}

/**
 * JSEP (RFC 8829 §5.3.1) / RFC 3264 §6: a refused m= section of an answer, port 0 and
 * the offer's first format; its mid stays so the browser can match it up.
 */
function refused(section: readonly string[]): string[] {
  const [kind, , proto, fmt] = section[0]!.split(' ');
  const mid = midOf(section);
  return [`${kind} 0 ${proto} ${fmt ?? '0'}`, 'c=IN IP4 0.0.0.0', ...(mid === null ? [] : [`a=mid:${mid}`])];
}

/** A browser's offer, checked and cut down to what werift is to see. */
export interface ReadOffer {
  readonly audio: NegotiatedAudio;
  /**
   * The offer with the chosen audio m= line alone, listing only the chosen G.711 format
   * and telephone-event/8000 (their rtpmap/fmtp/rtcp-fb lines kept, the rest dropped),
   * and the BUNDLE group cut to its mid. werift gives up on a whole offer ("negotiate
   * codecs failed") when any m= line, even a disabled video one, has no codec it knows.
   */
  readonly forWerift: string;
  /** werift's one-section answer, with the offer's other m= lines put back refused. */
  completeAnswer(answer: string): string;
}

/** Checks a browser's offer and picks its audio; throws `WebRtcSdpError`. */
export function readOffer(sdp: string): ReadOffer {
  const { index, audio } = readAudio(sdp, 'offer');
  const keep = [audio.audioPt, ...(audio.telephoneEventPt === null ? [] : [audio.telephoneEventPt])];
  const [session, ...media] = sections(sdp);
  const chosen = media[index]!;
  // werift cannot answer a section without a mid ("mid not assigned"); browsers always
  // send one, older SIP WebRTC clients may not. It gets one here and loses it in the answer.
  const offeredMid = midOf(chosen);
  const mid = offeredMid ?? '0';
  const offered = (attribute: string): boolean => session!.some((l) => l.startsWith(attribute));
  const trimmedSession = session!.flatMap((l) =>
    /^a=group:BUNDLE(\s|$)/.test(l) ? [`a=group:BUNDLE ${mid}`] : [l],
  );
  const trimmedAudio = chosen.flatMap((line, i) => {
    if (i === 0) {
      const [kind, port, proto] = line.split(' ');
      return [[kind, port, proto, ...keep].join(' '), ...(offeredMid === null ? [`a=mid:${mid}`] : [])];
    }
    const pt = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)\s/.exec(line);
    return pt && !keep.includes(Number(pt[1])) ? [] : [line];
  });
  return {
    audio,
    forWerift: join([trimmedSession, trimmedAudio]),
    completeAnswer(answer) {
      const [answerSession, answerAudio] = sections(answer);
      if (!answerSession || !answerAudio) throw new Error('werift answered without an audio section');
      // werift adds these whether offered or not; an answer may only accept what was offered.
      const sessionLines = answerSession.filter(
        (l) =>
          !(l.startsWith('a=group:BUNDLE') && !offered('a=group:BUNDLE')) &&
          !(l === 'a=extmap-allow-mixed' && !offered('a=extmap-allow-mixed')),
      );
      const audioLines = answerAudio.filter((l) => offeredMid !== null || !l.startsWith('a=mid:'));
      return join([sessionLines, ...media.map((m, i) => (i === index ? audioLines : refused(m)))]);
    },
  };
}

/**
 * Our own description, from werift, made fit for SIP: non-trickle, so each m= and c= line
 * names the first candidate (RFC 8839 §4.2.1.1: the default destination) instead of the
 * trickle placeholders 9 and 0.0.0.0, which SIP equipment reads as "on hold"; the a=rtcp
 * placeholder goes (RTCP is muxed) and so does the trickle ice-option.
 */
export function finishLocalDescription(sdp: string): string {
  return join(
    sections(sdp).map((section, i) => {
      if (i === 0) return section.filter((l) => l !== 'a=ice-options:trickle');
      const candidate = section
        .map((l) => /^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ /i.exec(l))
        .find((m) => m !== null);
      return section.flatMap((line, j) => {
        if (line === 'a=ice-options:trickle' || line.startsWith('a=rtcp:')) return [];
        if (!candidate) return [line];
        const [, address, port] = candidate;
        if (j === 0) {
          const parts = line.split(' ');
          parts[1] = port!;
          return [parts.join(' ')];
        }
        if (line.startsWith('c=')) return [`c=IN ${address!.includes(':') ? 'IP6' : 'IP4'} ${address}`];
        return [line];
      });
    }),
  );
}

/** A browser's answer to our offer: which of the offered formats it kept. Throws `WebRtcSdpError`. */
export function readAnswer(sdp: string): NegotiatedAudio {
  return readAudio(sdp, 'answer').audio;
}
