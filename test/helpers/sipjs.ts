/**
 * What the SIP.js interop tests share: a whole node started as `npm start` starts
 * it (every port chosen by the OS, in-memory database), Node's stand-in for the
 * browser's WebSocket (the node's certificate is self-signed, so wss:// skips
 * verification), and a polling wait.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { type NimbusNode, startNode } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

class TestWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { rejectUnauthorized: false });
  }
}
(globalThis as { WebSocket?: unknown }).WebSocket = TestWebSocket;

export function startSipJsNode(name: string): Promise<NimbusNode> {
  return startNode(
    loadConfig({
      env: {
        NIMBUS_HTTP_PORT: '0',
        NIMBUS_HTTP_HOST: '127.0.0.1',
        NIMBUS_SIP_HOST: '127.0.0.1',
        NIMBUS_SIP_PORT: '0',
        NIMBUS_SIP_TLS_PORT: '0',
        NIMBUS_HTTPS_PORT: '0',
        NIMBUS_DATA_DIR: mkdtempSync(join(tmpdir(), `nimbus-${name}-`)),
        NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
        NIMBUS_LOG_LEVEL: 'silent',
      },
      configFile: null,
    }),
    { inMemory: true },
  );
}

/** Resolves once `check` holds; fails after `ms` naming `what`. */
export function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}
