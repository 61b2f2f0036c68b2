/**
 * Call queues in the web portal end to end: Debian's Chromium (playwright-core)
 * against a whole node started in-process (SIP service, media engine and so the
 * queue engine included), serving web/dist.
 * An admin creates a queue of two agents through the form (a number that clashes
 * with an extension shows its error beside the field first); a supervisor's
 * wallboard shows the queue and its agents' states live, pauses an agent whose
 * softphone is registered and logs a dynamic one out; an agent opens the phone
 * page, logs into the dynamic queue and pauses with a reason of their own from
 * the agent panel, and comes back. Every result is checked through the REST API
 * too. Screenshots in English and Russian go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

/** Owns extension 102: a static member, whose softphone is on during the wallboard test. */
const AGENT_102 = { email: 'agent102@demo.test', password: 'queues-agent-pw-102' };
/** Owns extension 103: a dynamic member, who logs in from the phone page. */
const AGENT_103 = { email: 'agent103@demo.test', password: 'queues-agent-pw-103' };
const SUPERVISOR = { email: 'supervisor@demo.test', password: 'queues-super-pw-1' };
/** Owns extension 104: in no queue; calls the queue (as a VIP). */
const USER_104 = { email: 'user104@demo.test', password: 'queues-user-pw-104' };

interface Destination {
  kind: string;
  id?: string;
  number?: string;
  cause?: string;
}
interface Queue {
  id: string;
  name: string;
  number: string | null;
  strategy: string;
  members: {
    number: string;
    static: boolean;
    penalty: number;
    weight: number;
    skills: Record<string, number>;
    maxCalls: number;
  }[];
  entryPrompts: string[];
  maxWaitSec: number;
  keys: { key: string; action: string; destination: Destination | null }[];
  serviceLevelSec: number[];
  timeoutDestination: Destination | null;
  [field: string]: unknown;
}
interface AgentStatus {
  number: string;
  paused: boolean;
  pauseReason: string;
  queues: { id: string; name: string; static: boolean; loggedIn: boolean; state: string }[];
}

describe.runIf(browserTests)('call queues in the web portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled, goTo, choose } = portalSession(() => ({
    portal,
    browser,
    adminCookie,
  }));

  async function extensionId(number: string): Promise<string> {
    const { body } = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=200');
    return body.items.find((e) => e.number === number)!.id;
  }

  async function queueNamed(name: string): Promise<Queue> {
    const { status, body } = await rest<{ items: Queue[] }>('/queues?limit=200');
    expect(status).toBe(200);
    const found = body.items.filter((q) => q.name === name);
    expect(found, `queue named ${name}`).toHaveLength(1);
    return found[0]!;
  }

  const agent = async (number: string) => (await rest<AgentStatus>(`/queue-agents/${number}`)).body;

  /** A user with the role `role` (and, for `number`, owning that extension). */
  async function user(who: { email: string; password: string }, role: string, name: string, number?: string) {
    const created = await rest<{ user: { id: string } }>('/users', {
      method: 'POST',
      body: { ...who, displayName: name, role, language: 'en' },
    });
    expect(created.status).toBe(201);
    if (!number) return;
    const owned = await rest(`/extensions/${await extensionId(number)}`, {
      method: 'PATCH',
      body: { userId: created.body.user.id },
    });
    expect(owned.status).toBe(200);
  }

  /** The agent's row of the wallboard card of `queue`. */
  const agentRow = (page: Page, queue: string, who: string): Locator =>
    page
      .getByRole('article', { name: queue })
      .getByRole('table', { name: `Agents of ${queue}` })
      .getByRole('row', { name: who, exact: true });

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    await user(AGENT_102, 'user', 'Anna Agent', '102');
    await user(AGENT_103, 'user', 'Boris Agent', '103');
    await user(USER_104, 'user', 'Vera User', '104');
    await user(SUPERVISOR, 'supervisor', 'Sofia Supervisor');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('an admin creates a queue of two agents through the form; a clashing number shows beside the field', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/dashboard');
    await settled(page, 'Dashboard');
    await goTo(page, 'Queues');
    await page.getByText('No queues yet.').waitFor();

    await page.getByRole('button', { name: 'New queue' }).click();
    const dialog = page.getByRole('dialog', { name: 'New queue' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Support line');
    // 101 is an extension's number: the server refuses it, and says so under the field.
    const number = dialog.getByRole('textbox', { name: 'Number', exact: true });
    await number.fill('101');
    await dialog.getByRole('radio', { name: 'In list order' }).check();

    // Two agents: 102 static with skills, 103 dynamic on the second tier.
    await choose(page, dialog, 'Add an agent', '102 Sales');
    await choose(page, dialog, 'Add an agent', '103 Support');
    const members = dialog.getByRole('table', { name: 'Agents (members)' });
    const second = members.getByRole('row', { name: 'Agent 2: 103 Support' });
    await second.waitFor();
    await second.getByText('Dynamic', { exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Penalty of 103 Support' }).fill('1');
    const skills = dialog.getByRole('combobox', { name: 'Skills of 102 Sales' });
    await skills.fill('en=7');
    await skills.press('Enter');
    await skills.fill('billing=3');
    await skills.press('Enter');
    // Not a skill: refused with a hint, the others stay.
    await skills.fill('nonsense');
    await skills.press('Enter');
    await dialog.getByText('Write a skill as name=level, level 1–10 (e.g. en=7, billing=3)').waitFor();

    // Announcements, limits, a key and overflow.
    await dialog.getByRole('combobox', { name: 'On entry', exact: true }).click();
    await page.getByRole('option', { name: 'Your call is important to us', exact: true }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('textbox', { name: 'Longest wait, seconds' }).fill('300');
    await dialog.getByRole('button', { name: 'Add a key' }).click();
    const key = dialog.getByRole('group', { name: 'Key 1' });
    await choose(page, key, 'Send the call to', 'Extension');
    await choose(page, key, 'Which extension', '105 Director');
    await dialog.getByRole('textbox', { name: 'VIP callers' }).fill('104');
    const timeout = dialog.getByRole('group', { name: 'On timeout' });
    await choose(page, timeout, 'Send the call to', 'Hang up');
    await screenshot(page, 'en-queue-new');

    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => number.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await number.getAttribute('aria-describedby'))
      ?.split(' ')
      .find((id) => id.includes('error'));
    expect(errorId).toBeTruthy();
    expect(await dialog.locator(`[id="${errorId}"]`).textContent()).toBe('101 is an extension');
    // Next to the field, not as an alert over the form.
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'en-queue-error');
    expect((await rest<{ total: number }>('/queues')).body.total).toBe(0);

    await number.fill('700');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: /Support line/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('In list order');
    const queue = await queueNamed('Support line');
    expect(queue).toMatchObject({
      number: '700',
      strategy: 'linear',
      members: [
        { number: '102', static: true, penalty: 0, weight: 1, skills: { en: 7, billing: 3 }, maxCalls: 1 },
        { number: '103', static: false, penalty: 1, weight: 1, skills: {}, maxCalls: 1 },
      ],
      skills: [],
      entryPrompts: ['your-call-is-important'],
      maxWaitSec: 300,
      keys: [{ key: '1', action: 'leave', destination: { kind: 'extension', id: await extensionId('105') } }],
      serviceLevelSec: [20, 60],
      vipNumbers: ['104'],
      timeoutDestination: { kind: 'hangup', cause: 'busy' },
      fullDestination: null,
      joinEmpty: ['loggedOut', 'unregistered'],
    });
    await screenshot(page, 'en-queues');

    // The editor shows what was saved.
    await row.getByRole('button', { name: 'Edit Support line' }).click();
    const editor = page.getByRole('dialog', { name: 'Queue Support line' });
    expect(await editor.getByRole('textbox', { name: 'Number', exact: true }).inputValue()).toBe('700');
    expect(await editor.getByRole('radio', { name: 'In list order' }).isChecked()).toBe(true);
    await editor.getByRole('row', { name: 'Agent 1: 102 Sales' }).getByText('en=7').waitFor();
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
  });

  it('the wallboard shows the queue and its agents live; a supervisor pauses one and logs a dynamic one out', async (t) => {
    const queue = await queueNamed('Support line');
    // 102's softphone registers (an unregistered agent is never available, nor shown paused).
    const { page: phone } = await open(t, { as: AGENT_102 });
    await phone.goto('/phone');
    await phone.getByText('Ready — extension 102').waitFor();

    const { page } = await open(t, { as: SUPERVISOR, viewport: { width: 1400, height: 1000 } });
    await page.goto('/dashboard');
    await settled(page, 'Dashboard');
    await goTo(page, 'Wallboard');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const card = page.getByRole('article', { name: '700 Support line' });
    await card.waitFor();
    const badge = (who: string) => agentRow(page, '700 Support line', who).locator('[data-state]');
    await expect.poll(() => badge('102 Sales').getAttribute('data-state')).toBe('available');
    expect(await badge('103 Support').getAttribute('data-state')).toBe('loggedOut');
    expect(await card.getByText('Nobody is waiting.').count()).toBe(1);
    expect(await card.getByText('answered within 20 s').count()).toBe(1);
    await screenshot(page, 'en-wallboard');

    // Pause 102 with a reason: the REST API says paused, and so does the board.
    await agentRow(page, '700 Support line', '102 Sales')
      .getByRole('button', { name: 'Pause 102 Sales' })
      .click();
    await page.getByRole('menuitem', { name: 'Lunch' }).click();
    await expect.poll(() => badge('102 Sales').getAttribute('data-state')).toBe('paused');
    expect(await agentRow(page, '700 Support line', '102 Sales').textContent()).toContain('Lunch');
    const paused = await agent('102');
    expect(paused).toMatchObject({ paused: true, pauseReason: 'lunch' });
    expect(paused.queues).toEqual([expect.objectContaining({ id: queue.id, state: 'paused' })]);

    // A caller (104, a VIP) waits while the only staffed agent is paused: listed, the wait ticking.
    const { page: caller } = await open(t, { as: USER_104 });
    await caller.goto('/phone');
    await caller.getByText('Ready — extension 104').waitFor();
    await caller.getByRole('textbox', { name: 'Number to call' }).fill('700');
    await caller.getByRole('button', { name: 'Call', exact: true }).click();
    const callers = card.getByRole('table', { name: 'Waiting callers of 700 Support line' });
    const waiting = callers.getByRole('row').filter({ hasText: '104' });
    await waiting.waitFor();
    expect(await waiting.textContent()).toContain('VIP');
    const waitCell = waiting.getByRole('cell').last();
    const first = await waitCell.textContent();
    await expect.poll(() => waitCell.textContent(), { timeout: 5000 }).not.toBe(first);
    const waitingNow = await rest<{ waiting: { caller: string; priority: number }[] }>(
      `/queues/${queue.id}/live`,
    );
    expect(waitingNow.body.waiting).toEqual([expect.objectContaining({ caller: '104' })]);
    expect(waitingNow.body.waiting[0]!.priority).toBeGreaterThan(0);
    await screenshot(page, 'en-wallboard-paused');
    // The caller gives up: nobody waits, and today counts the call as offered and abandoned.
    await caller.getByRole('button', { name: /^(Hang up|Cancel)$/ }).click();
    await callers.waitFor({ state: 'detached' });
    await card.getByText('Nobody is waiting.').waitFor();
    const today = (await rest<{ today: { offered: number; abandoned: number } }>(`/queues/${queue.id}/live`))
      .body.today;
    expect(today).toMatchObject({ offered: 1, abandoned: 1 });

    // A change made elsewhere comes over the events socket: 103 logged in (no phone: offline).
    const login = await rest('/queue-agents/103', { method: 'PATCH', body: { loggedIn: true } });
    expect(login.status).toBe(200);
    await expect.poll(() => badge('103 Support').getAttribute('data-state')).toBe('unregistered');
    // The supervisor logs 103 out again.
    await agentRow(page, '700 Support line', '103 Support')
      .getByRole('button', { name: 'Log 103 Support out of 700 Support line' })
      .click();
    await expect.poll(() => badge('103 Support').getAttribute('data-state')).toBe('loggedOut');
    expect((await agent('103')).queues[0]).toMatchObject({ loggedIn: false, state: 'loggedOut' });

    // Unpause: available again.
    await agentRow(page, '700 Support line', '102 Sales')
      .getByRole('button', { name: 'Unpause 102 Sales' })
      .click();
    await expect.poll(() => badge('102 Sales').getAttribute('data-state')).toBe('available');
    expect(await agent('102')).toMatchObject({ paused: false });
  });

  it('an agent logs into the dynamic queue and pauses from the phone page', async (t) => {
    const queue = await queueNamed('Support line');
    const { page } = await open(t, { as: AGENT_103 });
    await page.goto('/');
    await goTo(page, 'Phone');
    await page.getByText('Ready — extension 103').waitFor();
    const panel = page.getByRole('region', { name: 'My queues' });
    await panel.waitFor();
    const row = panel.getByRole('row', { name: 'Queue 700 Support line' });
    const state = () => row.locator('[data-state]').getAttribute('data-state');
    await expect.poll(state).toBe('loggedOut');
    await screenshot(page, 'en-agent-panel');

    await row.getByRole('button', { name: 'Log in to 700 Support line' }).click();
    await expect.poll(state).toBe('available');
    expect((await agent('103')).queues).toEqual([
      expect.objectContaining({ id: queue.id, loggedIn: true, state: 'available' }),
    ]);

    // A reason of their own.
    await choose(page, panel, 'Pause reason', 'Other');
    await panel.getByRole('textbox', { name: 'Reason', exact: true }).fill('Coaching');
    await panel.getByRole('button', { name: 'Pause', exact: true }).click();
    await panel.getByRole('status').filter({ hasText: 'Paused: Coaching' }).waitFor();
    await expect.poll(state).toBe('paused');
    const paused = await agent('103');
    expect(paused).toMatchObject({ paused: true, pauseReason: 'Coaching' });
    expect(paused.queues[0]).toMatchObject({ loggedIn: true, state: 'paused' });
    await screenshot(page, 'en-agent-panel-paused');

    await panel.getByRole('button', { name: 'Back to work' }).click();
    await expect.poll(state).toBe('available');
    expect(await agent('103')).toMatchObject({ paused: false });
    await row.getByRole('button', { name: 'Log out of 700 Support line' }).click();
    await expect.poll(state).toBe('loggedOut');
    expect((await agent('103')).queues[0]).toMatchObject({ loggedIn: false });

    // Agents have neither the queue settings nor the wallboard in their menu.
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    for (const label of ['Queues', 'Wallboard'])
      expect(await nav.getByRole('link', { name: label, exact: true }).count(), label).toBe(0);
  });

  it('a user in no queue sees no agent panel', async (t) => {
    const { page } = await open(t, { as: USER_104 });
    await page.goto('/phone');
    await page.getByText('Ready — extension 104').waitFor();
    await settled(page, 'Phone');
    expect(await page.getByRole('region', { name: 'My queues' }).count()).toBe(0);
  });

  for (const lang of ['en', 'ru'] as const) {
    it(`renders the queues, the editor and the wallboard in ${lang === 'en' ? 'English' : 'Russian'}`, async (t) => {
      const { page } = await open(t, {
        as: 'admin',
        locale: lang === 'ru' ? 'ru-RU' : 'en-US',
        viewport: { width: 1280, height: 3200 },
      });
      const titles = lang === 'en' ? ['Queues', 'Wallboard'] : ['Очереди', 'Табло'];
      await page.goto('/queues');
      await settled(page, titles[0]!);
      expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
      await page
        .getByRole('main')
        .getByRole('button', { name: new RegExp(`^${lang === 'en' ? 'Edit' : 'Изменить'} `) })
        .first()
        .click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await page.waitForTimeout(300); // the dialog's transition, for the screenshot
      await screenshot(page, `${lang}-queue-editor`);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await page.goto('/wallboard');
      await settled(page, titles[1]!);
      expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
      await screenshot(page, `${lang}-wallboard-full`);
    });
  }

  it('on a phone the wallboard fits the screen', async (t) => {
    const { page } = await open(t, {
      as: SUPERVISOR,
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/wallboard');
    await settled(page, 'Wallboard');
    await page.getByRole('article', { name: '700 Support line' }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-en-wallboard');
  });
});
