/**
 * WebRTC for SIP.js in Node: a SessionDescriptionHandler on werift's
 * RTCPeerConnection (ICE + DTLS-SRTP over loopback), standing in for a browser in
 * tests that run without one. It counts the RTP it receives and can send a G.711
 * tone, so a test sees audio cross the PBX's WebRTC gateway both ways.
 */
import type { SessionDescriptionHandler } from 'sip.js';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import { encodeG711 } from '../../src/media/codecs/g711.js';

export class WeriftSdh implements SessionDescriptionHandler {
  readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  /** RTP packets received from the PBX. */
  received = 0;
  /** Descriptions set from the peer: 1 for the call, +1 per re-INVITE. */
  descriptions = 0;
  private sending: NodeJS.Timeout | null = null;

  constructor() {
    this.pc = new RTCPeerConnection({
      iceServers: [],
      codecs: {
        audio: [
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
          new RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 8000, payloadType: 101 }),
        ],
        video: [],
      },
      headerExtensions: { audio: [], video: [] },
      // Loopback is the one network here; werift only uses it as an "additional" address.
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
    });
    const transceiver = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((remote) => remote.onReceiveRtp.subscribe(() => this.received++));
  }

  private noPublicStun(): void {
    // werift would otherwise ask stun.l.google.com while gathering (see src/media/webrtc/gateway.ts).
    for (const t of this.pc.iceTransports) t.connection.stunServer = undefined;
  }

  async getDescription(): Promise<{ body: string; contentType: string }> {
    const answering = this.pc.signalingState === 'have-remote-offer';
    const desc = answering ? await this.pc.createAnswer() : await this.pc.createOffer();
    this.noPublicStun();
    await this.pc.setLocalDescription(desc);
    return { body: this.pc.localDescription!.sdp, contentType: 'application/sdp' };
  }

  hasDescription(contentType: string): boolean {
    return contentType === 'application/sdp';
  }

  async setDescription(sdp: string): Promise<void> {
    const type = this.pc.signalingState === 'have-local-offer' ? 'answer' : 'offer';
    await this.pc.setRemoteDescription({ type, sdp });
    this.descriptions++;
  }

  /** Sends a 1 kHz tone as PCMU, 20 ms a packet, until stopped. */
  startTone(): void {
    const samples = new Int16Array(160);
    let seq = 1;
    let ts = 0;
    let n = 0;
    this.sending = setInterval(() => {
      for (let i = 0; i < 160; i++, n++)
        samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * n) / 8000));
      const header = new RtpHeader({
        payloadType: 0,
        sequenceNumber: seq++ & 0xffff,
        timestamp: ts,
        marker: false,
      });
      ts += 160;
      this.track.writeRtp(new RtpPacket(header, Buffer.from(encodeG711(samples, 'ulaw'))));
    }, 20);
  }

  sendDtmf(): boolean {
    return false;
  }

  close(): void {
    if (this.sending) clearInterval(this.sending);
    void this.pc.close();
  }
}
