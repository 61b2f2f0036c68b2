/**
 * Symmetric RTP (RFC 4961) with latching: phones behind NAT advertise an address
 * in SDP that cannot be reached, so media goes back to where the leg's packets
 * actually come from. Only a packet that belongs to the call decides (the
 * endpoint checks version, negotiated payload type, header lengths and, on an
 * SRTP leg, the authentication tag before it asks); afterwards packets from any
 * other address are dropped, so a stray or malicious sender cannot inject audio
 * into the call or steal its return stream ("RTP bleed"). A new SDP from the
 * leg (re-INVITE) opens the latch again.
 *
 * The media latch also pins the stream's SSRC: a sender that spoofs the latched
 * address cannot slip in a second stream while the phone's own one flows. A
 * phone may still change SSRC (a new SDP always allows that; without one, only
 * once its old stream has been quiet for `SSRC_QUIET_MS`, as after a local hold
 * or a transfer inside the phone).
 *
 * The address the SDP names wins over a guess: a latch taken by a packet from
 * elsewhere (a NAT'd phone, or a sprayer that was quicker than the phone) moves
 * once to the signalled address when a packet comes from exactly there. The
 * endpoint keeps such a guess open to that for a while before it connects.
 */
export const SSRC_QUIET_MS = 500;

export class Latch {
  address: string | null = null;
  port = 0;
  latched = false;
  /** The stream's SSRC once a packet latched (media latches only). */
  ssrc: number | null = null;
  private lastSsrcMs = 0;
  /** Latched somewhere other than the signalled address. */
  guessed = false;
  private signalled: { address: string; port: number } | null = null;

  /** The address signalled in SDP: where to send until the first packet arrives. */
  expect(address: string, port: number): void {
    // A new SDP may come with a new stream: the SSRC is learnt again.
    this.ssrc = null;
    this.signalled = { address, port };
    if (this.latched && address === this.address && port === this.port) {
      this.guessed = false;
      return;
    }
    this.address = address;
    this.port = port;
    this.latched = false;
  }

  /**
   * A packet that belongs to the call from `address:port` (with `ssrc` on a media
   * latch): true when it may be used.
   */
  accept(address: string, port: number, ssrc?: number, nowMs = 0): boolean {
    const fromSignalled = this.signalled?.address === address && this.signalled.port === port;
    if (this.latched && this.guessed && fromSignalled) {
      // The phone itself, at the address its SDP names: it takes the leg over from a guess.
      this.address = address;
      this.port = port;
      this.guessed = false;
      this.ssrc = null;
    } else if (this.latched) {
      if (port !== this.port || address !== this.address) return false;
      if (ssrc === undefined) return true;
      if (this.ssrc !== null && ssrc !== this.ssrc && nowMs - this.lastSsrcMs < SSRC_QUIET_MS) return false;
    } else {
      this.address = address;
      this.port = port;
      this.latched = true;
      this.guessed = !fromSignalled;
    }
    if (ssrc !== undefined) {
      this.ssrc = ssrc;
      this.lastSsrcMs = nowMs;
    }
    return true;
  }

  /** Opens the latch again (new SDP seen) without forgetting where to send meanwhile. */
  reopen(): void {
    this.latched = false;
    this.guessed = false;
    this.ssrc = null;
  }
}
