/**
 * Symmetric RTP (RFC 4961) with latching: phones behind NAT advertise an address
 * in SDP that cannot be reached, so media goes back to where the leg's packets
 * actually come from. The first valid packet decides; afterwards packets from any
 * other address are dropped, so a stray or malicious sender cannot inject audio
 * into the call or steal its return stream ("RTP bleed"). A new SDP from the
 * leg (re-INVITE) opens the latch again.
 */
export class Latch {
  address: string | null = null;
  port = 0;
  latched = false;

  /** The address signalled in SDP: where to send until the first packet arrives. */
  expect(address: string, port: number): void {
    if (this.latched && address === this.address && port === this.port) return;
    this.address = address;
    this.port = port;
    this.latched = false;
  }

  /** A valid packet from `address:port`: true when it may be used. */
  accept(address: string, port: number): boolean {
    if (this.latched) return port === this.port && address === this.address;
    this.address = address;
    this.port = port;
    this.latched = true;
    return true;
  }

  /** Opens the latch again (new SDP seen) without forgetting where to send meanwhile. */
  reopen(): void {
    this.latched = false;
  }
}
