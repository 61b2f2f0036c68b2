/**
 * The certificate SIP over TLS is served with: the operator's (NIMBUS_TLS_CERT /
 * NIMBUS_TLS_KEY), or a self-signed one generated once into the data directory so
 * a demo works out of the box (phones must then be told to accept it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface TlsMaterial {
  key: string;
  cert: string;
  selfSigned: boolean;
}

export async function loadOrCreateCertificate(opts: {
  certFile: string | null;
  keyFile: string | null;
  dataDir: string;
  hostName: string;
}): Promise<TlsMaterial> {
  if (opts.certFile && opts.keyFile) {
    return {
      cert: readFileSync(opts.certFile, 'utf8'),
      key: readFileSync(opts.keyFile, 'utf8'),
      selfSigned: false,
    };
  }
  const dir = join(opts.dataDir, 'tls');
  const certFile = join(dir, 'self-signed.crt');
  const keyFile = join(dir, 'self-signed.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), selfSigned: true };
  }
  // The name phones and peers check: an IP address or a DNS name in subjectAltName (RFC 5922 §7.1).
  const san = isIP(opts.hostName)
    ? { type: 7 as const, ip: opts.hostName }
    : { type: 2 as const, value: opts.hostName };
  // Loaded only to make a certificate (first start): it takes a quarter of a second to load.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: opts.hostName }], {
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [san] },
    ],
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 5 * 365 * 24 * 3600_000),
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  writeFileSync(certFile, pems.cert);
  return { cert: pems.cert, key: pems.private, selfSigned: true };
}
