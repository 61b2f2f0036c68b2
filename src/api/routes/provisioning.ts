/**
 * What a phone needs besides its number and password: the tenant's SIP domain and
 * where this node listens, per transport. The portal's provisioning card and its
 * QR code are built from this; no secret is in it (an extension's SIP password is
 * shown once, when it is made or reset).
 */
import Type, { type Static } from 'typebox';
import type { Api, ApiDeps } from '../context.js';
import { notFound } from '../errors.js';
import { TenantParams } from '../schemas.js';

const TransportSchema = Type.Object({
  transport: Type.Union([
    Type.Literal('udp'),
    Type.Literal('tcp'),
    Type.Literal('tls'),
    Type.Literal('ws'),
    Type.Literal('wss'),
  ]),
  port: Type.Integer(),
  /** An outbound-proxy URI for the transport (`sip:host:port;transport=tcp`, or the WebSocket URL). */
  uri: Type.String(),
});

export const ProvisioningSchema = Type.Object({
  sipDomain: Type.String({ description: 'Domain of the accounts: user@sipDomain' }),
  host: Type.String({ description: 'Address phones send to (outbound proxy)' }),
  transports: Type.Array(TransportSchema),
});

export async function provisioningRoutes(app: Api, deps: ApiDeps): Promise<void> {
  app.get(
    '/api/v1/tenants/:tenantId/provisioning',
    {
      config: { permission: 'tenants.read' },
      schema: {
        tags: ['extensions'],
        summary: "Where the tenant's phones register: SIP domain and this node's transports",
        params: TenantParams,
        response: { 200: ProvisioningSchema },
      },
    },
    async (req) => {
      const tenant = await deps.store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const info = deps.connectInfo?.() ?? null;
      const host = info?.host ?? deps.config.publicAddress;
      const transports: Static<typeof TransportSchema>[] = [];
      if (info) {
        const sip = (transport: 'udp' | 'tcp' | 'tls', port: number | null) => {
          if (port)
            transports.push({
              transport,
              port,
              uri: `${transport === 'tls' ? 'sips' : 'sip'}:${host}:${port};transport=${transport}`,
            });
        };
        sip('udp', info.udp);
        sip('tcp', info.tcp);
        sip('tls', info.tls);
        if (info.wss)
          transports.push({ transport: 'wss', port: info.wss, uri: `wss://${host}:${info.wss}/sip` });
        if (info.ws) transports.push({ transport: 'ws', port: info.ws, uri: `ws://${host}:${info.ws}/sip` });
      }
      return { sipDomain: tenant.sipDomain, host, transports };
    },
  );
}
