/**
 * A small client for S3-compatible object storage (AWS S3, MinIO, Ceph RGW,
 * Yandex Object Storage, …): put, get (with a byte range), head and delete of one
 * object, signed with AWS Signature Version 4 (the header form, as the AWS
 * "Signature Version 4 signing process" describes it). Path-style addressing
 * (`endpoint/bucket/key`) unless told otherwise, which every compatible server takes.
 */
import { createHash, createHmac } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

export interface S3Options {
  /** http(s)://host[:port] of the service. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Virtual-host style (`bucket.host`) instead of path style. */
  virtualHosted?: boolean;
  /** Per request, ms (default 30 s). */
  timeoutMs?: number;
}

export class S3Error extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

const hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (each path segment; '/' kept between them). */
function uriEncode(s: string, keepSlash: boolean): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, keepSlash ? '/' : '%2F');
}

export interface SignInput {
  method: string;
  host: string;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  payloadHash: string;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** 'YYYYMMDDTHHMMSSZ' */
  amzDate: string;
}

/** The Authorization header value for a request (SigV4, header form); exported for its test vectors. */
export function signV4(i: SignInput): string {
  const date = i.amzDate.slice(0, 8);
  const headers: Record<string, string> = { host: i.host };
  for (const [k, v] of Object.entries(i.headers)) headers[k.toLowerCase()] = v.trim().replace(/\s+/g, ' ');
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]}\n`).join('');
  const signedHeaders = names.join(';');
  const query = Object.entries(i.query ?? {})
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [i.method, i.path, query, canonicalHeaders, signedHeaders, i.payloadHash].join('\n');
  const scope = `${date}/${i.region}/${i.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', i.amzDate, scope, hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${i.secretAccessKey}`, date), i.region), i.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${i.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

function amzDateOf(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function drain(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res) body += (chunk as Buffer).toString('utf8');
  return body;
}

/** The error code an S3 error body names (`<Code>NoSuchKey</Code>`). */
function errorCode(body: string): string {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? 'Unknown';
}

export class S3Client {
  private readonly base: URL;

  constructor(private readonly o: S3Options) {
    this.base = new URL(o.endpoint);
  }

  /** Uploads a local file as `key` (Content-Length known: no chunked signing needed). */
  async putFile(key: string, path: string, contentType: string): Promise<void> {
    const [size, hash] = await Promise.all([stat(path).then((s) => s.size), fileSha256(path)]);
    const res = await this.send(
      'PUT',
      key,
      { 'content-type': contentType, 'content-length': String(size) },
      hash,
      () => createReadStream(path),
    );
    const body = await drain(res);
    if (res.statusCode !== 200)
      throw new S3Error(`S3 PUT ${key}: ${res.statusCode}`, res.statusCode ?? 0, errorCode(body));
  }

  /** The object (or `range` of it, inclusive) as a stream, with its full size. */
  async get(key: string, range?: { start: number; end: number }): Promise<{ body: Readable; size: number }> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
    const res = await this.send('GET', key, headers, hex(''));
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      const body = await drain(res);
      throw new S3Error(`S3 GET ${key}: ${res.statusCode}`, res.statusCode ?? 0, errorCode(body));
    }
    const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1];
    const size = Number(total ?? res.headers['content-length'] ?? 0);
    return { body: res, size };
  }

  /** The object's size, or null when there is no such object. */
  async size(key: string): Promise<number | null> {
    const res = await this.send('HEAD', key, {}, hex(''));
    await drain(res);
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200)
      throw new S3Error(`S3 HEAD ${key}: ${res.statusCode}`, res.statusCode ?? 0, 'Unknown');
    return Number(res.headers['content-length'] ?? 0);
  }

  /** Deletes the object (deleting a missing one succeeds, as S3 itself answers). */
  async delete(key: string): Promise<void> {
    const res = await this.send('DELETE', key, {}, hex(''));
    const body = await drain(res);
    if (res.statusCode !== 204 && res.statusCode !== 200 && res.statusCode !== 404)
      throw new S3Error(`S3 DELETE ${key}: ${res.statusCode}`, res.statusCode ?? 0, errorCode(body));
  }

  private send(
    method: string,
    key: string,
    headers: Record<string, string>,
    payloadHash: string,
    body?: () => Readable,
  ): Promise<IncomingMessage> {
    const host = this.o.virtualHosted ? `${this.o.bucket}.${this.base.host}` : this.base.host;
    const prefix = this.base.pathname.replace(/\/$/, '');
    const objectPath = this.o.virtualHosted ? `/${key}` : `/${this.o.bucket}/${key}`;
    const path = uriEncode(`${prefix}${objectPath}`, true);
    const amzDate = amzDateOf(new Date());
    const signed = { ...headers, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
    const authorization = signV4({
      method,
      host,
      path,
      headers: signed,
      payloadHash,
      region: this.o.region,
      service: 's3',
      accessKeyId: this.o.accessKeyId,
      secretAccessKey: this.o.secretAccessKey,
      amzDate,
    });
    const request = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          method,
          host: this.base.hostname,
          port: this.base.port || undefined,
          path,
          headers: { ...signed, host, authorization },
          timeout: this.o.timeoutMs ?? 30_000,
        },
        resolve,
      );
      req.on('timeout', () => req.destroy(new S3Error(`S3 ${method} ${key}: timed out`, 0, 'Timeout')));
      req.on('error', reject);
      if (body)
        body()
          .on('error', (e) => req.destroy(e))
          .pipe(req);
      else req.end();
    });
  }
}
