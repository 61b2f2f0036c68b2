/**
 * NIMBUS_SOFTPHONE_WS_URL: the portal's softphone registers to that URL (Kamailio fronting
 * SIP over WebSocket for a cluster) instead of this server's /sip. The softphone route names
 * it, and the portal's CSP lets the page connect there; a value that is not a ws:// or wss://
 * URL stops the node at start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portalCsp } from '../../src/api/web-security.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createFixture, type Fixture } from '../helpers/api.js';

const URL_SET = 'wss://sip.example.com:8443/';

describe('softphone WebSocket URL (NIMBUS_SOFTPHONE_WS_URL)', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture('pglite', {
      config: { sessionHours: 12, publicAddress: '127.0.0.1', softphoneWsUrl: URL_SET },
    });
  });
  afterAll(async () => fx?.close());

  it('is the server the softphone route gives, with the credentials as before', async () => {
    const res = await fx.call('GET', '/api/v1/auth/softphone', { as: fx.A.user });
    expect(res.status).toBe(200);
    expect(res.json.server).toBe(URL_SET);
    expect(res.json.sipDomain).toBe(fx.A.domain);
    expect(res.json.extensions).toHaveLength(1);
    expect((await fx.call('GET', '/api/v1/auth/softphone', { as: fx.operator })).json.server).toBe(URL_SET);
  });

  it("adds its origin to the portal's connect-src, and nothing else", async () => {
    const page = await fx.call('GET', '/calls', { as: null, headers: { accept: 'text/html' } });
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toBe(portalCsp(URL_SET));
    expect(csp).toContain("connect-src 'self' wss://sip.example.com:8443;");
    expect(csp.replace(' wss://sip.example.com:8443', '')).toBe(portalCsp(null));
  });

  it('is read from the environment and must be a ws:// or wss:// URL', () => {
    const load = (v: string) =>
      loadConfig({
        env: { NIMBUS_SOFTPHONE_WS_URL: v, NIMBUS_PUBLIC_ADDRESS: '127.0.0.1' },
        configFile: null,
      });
    expect(
      loadConfig({ env: { NIMBUS_PUBLIC_ADDRESS: '127.0.0.1' }, configFile: null }).softphoneWsUrl,
    ).toBeNull();
    expect(load('wss://kam.example.com/').softphoneWsUrl).toBe('wss://kam.example.com/');
    expect(load('ws://10.0.0.5:8080').softphoneWsUrl).toBe('ws://10.0.0.5:8080');
    for (const bad of [
      'https://kam.example.com/',
      'kam.example.com',
      "wss://x.example.com/' 'unsafe-inline",
      'ws://[::1',
    ])
      expect(() => load(bad), bad).toThrow(ConfigError);
  });
});
