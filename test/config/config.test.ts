import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  SETTINGS,
  sipAllowList,
  sipScannerAgentList,
  sipTrustedProxyList,
} from '../../src/config.js';

const load = (
  env: Record<string, string> = {},
  flags: Record<string, string | boolean> = {},
  configFile: string | null = null,
) => loadConfig({ env, flags, configFile });

describe('config', () => {
  it('has sensible defaults', () => {
    const c = load();
    expect(c).toMatchObject({
      httpPort: 8080,
      sipPort: 5060,
      logLevel: 'info',
      databaseUrl: null,
      redisUrl: null,
      demo: true,
      sessionHours: 12,
      webrtcPortMin: null,
      webrtcPortMax: null,
    });
    expect(load({ NIMBUS_WEBRTC_PORT_MIN: '30000', NIMBUS_WEBRTC_PORT_MAX: '30999' })).toMatchObject({
      webrtcPortMin: 30000,
      webrtcPortMax: 30999,
    });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.publicAddress).toMatch(/^[\d.]+$/);
  });

  it('reads environment, then lets flags win', () => {
    const c = load(
      {
        NIMBUS_HTTP_PORT: '9000',
        NIMBUS_LOG_LEVEL: 'debug',
        DATABASE_URL: 'postgres://u@h/db',
        NIMBUS_DEMO: 'no',
      },
      { 'http-port': '9100' },
    );
    expect(c.httpPort).toBe(9100);
    expect(c.logLevel).toBe('debug');
    expect(c.databaseUrl).toBe('postgres://u@h/db');
    expect(c.demo).toBe(false);
  });

  it('reads a JSON config file below the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-cfg-'));
    const file = join(dir, 'nimbus.json');
    writeFileSync(file, JSON.stringify({ sipPort: 5070, httpPort: 8181, publicAddress: 'pbx.example.com' }));
    const c = load({ NIMBUS_HTTP_PORT: '8282' }, {}, file);
    expect(c).toMatchObject({ sipPort: 5070, httpPort: 8282, publicAddress: 'pbx.example.com' });
  });

  it.each([
    [{ NIMBUS_HTTP_PORT: '70000' }, 'NIMBUS_HTTP_PORT', 'an integer from 0 to 65535'],
    [{ NIMBUS_SIP_PORT: 'five' }, 'NIMBUS_SIP_PORT', 'an integer from 0 to 65535'],
    [{ NIMBUS_RTP_PORT_MIN: '80' }, 'NIMBUS_RTP_PORT_MIN', 'an integer from 1024 to 65534'],
    [
      { NIMBUS_RTP_PORT_MIN: '30000', NIMBUS_RTP_PORT_MAX: '20000' },
      'NIMBUS_RTP_PORT_MAX',
      'at least NIMBUS_RTP_PORT_MIN + 3',
    ],
    [{ NIMBUS_WEBRTC_PORT_MIN: '21000' }, 'NIMBUS_WEBRTC_PORT_MAX', 'set both'],
    [
      { NIMBUS_WEBRTC_PORT_MIN: '19000', NIMBUS_WEBRTC_PORT_MAX: '21000' },
      'NIMBUS_WEBRTC_PORT_MIN',
      'overlap the RTP ports 10000-20000',
    ],
    [
      { NIMBUS_LOG_LEVEL: 'loud' },
      'NIMBUS_LOG_LEVEL',
      'one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', 'postgres://'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL', 'redis://'],
    [{ NIMBUS_ADMIN_EMAIL: 'nobody' }, 'NIMBUS_ADMIN_EMAIL', 'an email address'],
    [{ NIMBUS_ADMIN_PASSWORD: 'short' }, 'NIMBUS_ADMIN_PASSWORD', '8 to 200 characters'],
    [{ NIMBUS_DEMO: 'maybe' }, 'NIMBUS_DEMO', 'true or false'],
    [{ NIMBUS_PUBLIC_ADDRESS: 'has space' }, 'NIMBUS_PUBLIC_ADDRESS', 'host name or an IP'],
  ])('refuses %o naming the setting and what is allowed', (env, name, allowed) => {
    try {
      load(env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).setting).toBe(name);
      expect((e as Error).message).toContain(name);
      expect((e as Error).message).toContain(allowed);
    }
  });

  it('refuses unknown flags and unknown keys in the file', () => {
    expect(() => load({}, { 'htp-port': '1' })).toThrow(/Unknown option --htp-port/);
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-cfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ httpPrt: 1 }));
    expect(() => load({}, {}, file)).toThrow(/Unknown setting "httpPrt"/);
    writeFileSync(file, '{ nope');
    expect(() => load({}, {}, file)).toThrow(/not valid JSON/);
    expect(() => load({}, {}, join(dir, 'missing.json'))).toThrow(/Cannot read config file/);
  });

  it('reads SIP brute-force and scanner settings, refusing an allow-list entry that is not an address', () => {
    const d = load();
    expect(d).toMatchObject({
      sipBanUserFailures: 10,
      sipBanIpFailures: 20,
      sipBanWindowSec: 600,
      sipBanSec: 900,
      sipRateLimit: 100,
    });
    expect(sipAllowList(d)).toEqual([]);
    expect(sipScannerAgentList(d)).toBeUndefined();
    const c = load({
      NIMBUS_SIP_ALLOW: '10.0.0.0/8, 192.0.2.7,2001:db8::/32',
      NIMBUS_SIP_SCANNER_AGENTS: 'friendly-scanner, my-tool',
      NIMBUS_SIP_BAN_SEC: '60',
    });
    expect(sipAllowList(c)).toEqual(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
    expect(sipScannerAgentList(c)).toEqual(['friendly-scanner', 'my-tool']);
    expect(c.sipBanSec).toBe(60);
    expect(sipScannerAgentList(load({ NIMBUS_SIP_SCANNER_AGENTS: 'none' }))).toEqual([]);
    expect(() => load({ NIMBUS_SIP_ALLOW: '10.0.0.0/33' })).toThrow(/NIMBUS_SIP_ALLOW entry "10.0.0.0\/33"/);
    expect(() => load({ NIMBUS_SIP_ALLOW: '10.0.0/8' })).toThrow(ConfigError);
    expect(() => load({ NIMBUS_SIP_BAN_SEC: '0' })).toThrow(/NIMBUS_SIP_BAN_SEC/);
  });

  it('reads the trusted SIP proxies, refusing an entry that is not an address or range', () => {
    expect(sipTrustedProxyList(load())).toEqual([]);
    expect(sipTrustedProxyList(load({ NIMBUS_SIP_TRUSTED_PROXIES: '10.0.0.5, 2001:db8::/64' }))).toEqual([
      '10.0.0.5',
      '2001:db8::/64',
    ]);
    expect(() => load({ NIMBUS_SIP_TRUSTED_PROXIES: '10.0.0.5/40' })).toThrow(
      /NIMBUS_SIP_TRUSTED_PROXIES entry "10.0.0.5\/40"/,
    );
    expect(() => load({ NIMBUS_SIP_TRUSTED_PROXIES: 'kamailio.local' })).toThrow(ConfigError);
  });

  it('is documented: the README names every setting', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const s of SETTINGS) expect(readme, s.env).toContain(`\`${s.env}\``);
  });
});
