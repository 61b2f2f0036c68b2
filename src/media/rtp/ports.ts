/**
 * RTP/RTCP port pairs from a configured range (RTP even, RTCP the next odd port,
 * RFC 3550 §11). Allocation walks the range round-robin rather than reusing the
 * port just freed, so late packets of an ended call do not land in a new one.
 * A port some other program holds is skipped; the range running out is an error
 * the caller turns into 503 for the call, not a crash.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface PortPair {
  port: number;
  rtp: Socket;
  rtcp: Socket;
}

export class PortsExhausted extends Error {
  constructor(min: number, max: number) {
    super(`no free RTP port pair in ${min}-${max}`);
    this.name = 'PortsExhausted';
  }
}

function bind(address: string, port: number): Promise<Socket | null> {
  const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
  return new Promise((resolve) => {
    const fail = () => {
      socket.close();
      resolve(null);
    };
    socket.once('error', fail);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

export class PortPool {
  private readonly used = new Set<number>();
  private next: number;
  private readonly min: number;
  private readonly max: number;

  /** `min`..`max` inclusive; both are moved inwards to even RTP ports with room for RTCP. */
  constructor(
    private readonly address: string,
    min: number,
    max: number,
  ) {
    this.min = min % 2 === 0 ? min : min + 1;
    this.max = max % 2 === 0 ? max - 2 : max - 1;
    if (this.max < this.min) throw new RangeError(`RTP port range ${min}-${max} holds no even/odd pair`);
    this.next = this.min;
  }

  get capacity(): number {
    return (this.max - this.min) / 2 + 1;
  }

  get inUse(): number {
    return this.used.size;
  }

  async allocate(): Promise<PortPair> {
    for (let tries = 0; tries < this.capacity; tries++) {
      const port = this.next;
      this.next = port + 2 > this.max ? this.min : port + 2;
      if (this.used.has(port)) continue;
      this.used.add(port);
      const rtp = await bind(this.address, port);
      const rtcp = rtp ? await bind(this.address, port + 1) : null;
      if (rtp && rtcp) return { port, rtp, rtcp };
      rtp?.close();
      this.used.delete(port);
    }
    throw new PortsExhausted(this.min, this.max + 1);
  }

  release(pair: PortPair): void {
    if (!this.used.delete(pair.port)) return;
    pair.rtp.close();
    pair.rtcp.close();
  }
}
