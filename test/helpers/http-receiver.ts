/**
 * An HTTP server started in a test, standing in for a ticket system or a CRM:
 * it records every request (method, path with query, headers, body) and answers
 * through a handler the test sets — a status and a JSON body, or never (a hang).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status?: number;
  json?: unknown;
  /** Never answer (the client's timeout is tested). */
  hang?: boolean;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  handler: (r: ReceivedRequest) => Answer;
  close(): Promise<void>;
}

export async function startReceiver(host = '127.0.0.1'): Promise<Receiver> {
  const hanging = new Set<import('node:http').ServerResponse>();
  const r: Receiver = {
    url: '',
    received: [],
    handler: () => ({ status: 200, json: {} }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const got = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      r.received.push(got);
      const a = r.handler(got);
      if (a.hang) {
        hanging.add(res);
        return;
      }
      res.statusCode = a.status ?? 200;
      if (a.json !== undefined) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(a.json));
      } else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  r.url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return r;
}
