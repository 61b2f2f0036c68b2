/** Kamailio in front of Nimbus nodes in tests: a free SIP port and the command line for deploy/kamailio/nimbus.cfg. */
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const KAMAILIO = '/usr/sbin/kamailio';
export const haveKamailio = existsSync(KAMAILIO);
const ROOT = resolve(import.meta.dirname, '../..');

/** A port free for both UDP and TCP on loopback (SIP listens on both). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const udpFree = await new Promise<boolean>((res) => {
      const u = createSocket('udp4');
      u.once('error', () => res(false));
      u.bind(port, '127.0.0.1', () => u.close(() => res(true)));
    });
    if (udpFree) return port;
  }
}

/**
 * Arguments running the deployed config in the foreground on 127.0.0.1:`port` (UDP and TCP),
 * with its working files, dispatcher list and control socket in `dir`, and `extra` -A defines.
 */
export function kamailioArgs(
  dir: string,
  port: number,
  dispatcherList: string,
  extra: string[] = [],
): string[] {
  return [
    '-f',
    join(ROOT, 'deploy/kamailio/nimbus.cfg'),
    '-DD',
    '-E',
    '-w',
    dir,
    '-Y',
    dir,
    '-A',
    `LISTEN_ADDR=udp:127.0.0.1:${port}`,
    '-A',
    `LISTEN_TCP=tcp:127.0.0.1:${port}`,
    '-A',
    `DISPATCHER_LIST="${dispatcherList}"`,
    '-A',
    'CHILDREN=2',
    '-A',
    `CTL_SOCKET="unix:${join(dir, 'kamailio_ctl')}"`,
    ...extra.flatMap((d) => ['-A', d]),
  ];
}
