/**
 * The portal's pages and who sees them. The server enforces the same rights
 * (src/api/permissions.ts); hiding a page here only spares a user a 403.
 */
import type { Role } from './api/types';

export interface NavItem {
  path: string;
  label:
    | 'phone.nav'
    | 'callHandling.nav'
    | 'voicemail.nav'
    | 'featureCodes.nav'
    | 'nav.dashboard'
    | 'nav.tenants'
    | 'nav.health'
    | 'trunks.nav'
    | 'numberPool.nav'
    | 'rates.nav'
    | 'nav.extensions'
    | 'ringGroups.nav'
    | 'queues.nav'
    | 'ivrMenus.nav'
    | 'audioFiles.nav'
    | 'wallboard.nav'
    | 'reports.nav'
    | 'calendars.nav'
    | 'timeConditions.nav'
    | 'inboundRoutes.nav'
    | 'outboundRoutes.nav'
    | 'tenantNumbers.nav'
    | 'nav.users'
    | 'nav.apiKeys'
    | 'webhooks.nav'
    | 'integrations.nav'
    | 'contacts.nav'
    | 'nav.audit'
    | 'security.nav'
    | 'nav.calls'
    | 'recordings.nav'
    | 'nav.profile';
  roles: readonly Role[];
}

const TENANT_STAFF = ['tenant_admin', 'supervisor'] as const;

export const NAV: readonly NavItem[] = [
  { path: '/dashboard', label: 'nav.dashboard', roles: TENANT_STAFF },
  // Call queues live: waiting callers, service level, agents (supervisors pause and log them out).
  { path: '/wallboard', label: 'wallboard.nav', roles: TENANT_STAFF },
  // Calls over a period: totals, by day, weekday × hour, extensions' load, missed callers not called back.
  { path: '/reports', label: 'reports.nav', roles: TENANT_STAFF },
  { path: '/phone', label: 'phone.nav', roles: ['tenant_admin', 'supervisor', 'user'] },
  // Status, follow-me, secretary of one's own extensions (admins open anyone's from Extensions).
  { path: '/call-handling', label: 'callHandling.nav', roles: ['tenant_admin', 'supervisor', 'user'] },
  // Everyone with a mailbox: users and supervisors their own (and group ones they belong to); admins any.
  { path: '/voicemail', label: 'voicemail.nav', roles: ['tenant_admin', 'supervisor', 'user'] },
  { path: '/tenants', label: 'nav.tenants', roles: ['operator'] },
  // The public network: carriers' trunks, the pool of numbers handed to tenants, the price of calls out.
  { path: '/trunks', label: 'trunks.nav', roles: ['operator'] },
  { path: '/number-pool', label: 'numberPool.nav', roles: ['operator'] },
  { path: '/rates', label: 'rates.nav', roles: ['operator'] },
  { path: '/health', label: 'nav.health', roles: ['operator'] },
  { path: '/extensions', label: 'nav.extensions', roles: TENANT_STAFF },
  // Call routing: supervisors read it (and may force a calendar open or closed); users have no access.
  { path: '/ring-groups', label: 'ringGroups.nav', roles: TENANT_STAFF },
  // Queues are configured by admins; supervisors run them from the wallboard.
  { path: '/queues', label: 'queues.nav', roles: ['tenant_admin'] },
  // IVR menus (auto attendants) are configured by admins, like queues.
  { path: '/ivr-menus', label: 'ivrMenus.nav', roles: ['tenant_admin'] },
  // The recordings menus play (uploaded or recorded in the browser), next to the menus.
  { path: '/audio-files', label: 'audioFiles.nav', roles: ['tenant_admin'] },
  { path: '/calendars', label: 'calendars.nav', roles: TENANT_STAFF },
  { path: '/time-conditions', label: 'timeConditions.nav', roles: TENANT_STAFF },
  { path: '/inbound-routes', label: 'inboundRoutes.nav', roles: TENANT_STAFF },
  // Calls out through the operator's trunks (with the pattern tester and blocked extensions).
  { path: '/outbound-routes', label: 'outboundRoutes.nav', roles: TENANT_STAFF },
  // The tenant's public numbers, where each goes, and its caller-ID and local-call settings.
  { path: '/numbers', label: 'tenantNumbers.nav', roles: TENANT_STAFF },
  // Supervisors read the codes; only admins change them.
  { path: '/feature-codes', label: 'featureCodes.nav', roles: TENANT_STAFF },
  // The company phonebook: kept by administrators and supervisors (users search it in the softphone).
  { path: '/contacts', label: 'contacts.nav', roles: TENANT_STAFF },
  { path: '/users', label: 'nav.users', roles: ['tenant_admin'] },
  { path: '/api-keys', label: 'nav.apiKeys', roles: ['tenant_admin'] },
  // The tenant's own systems: events POSTed to them, signed, with a delivery log.
  { path: '/webhooks', label: 'webhooks.nav', roles: ['tenant_admin'] },
  // Ticket systems and CRMs: their tokens are the company's keys to other systems (admins only).
  { path: '/integrations', label: 'integrations.nav', roles: ['tenant_admin'] },
  { path: '/audit', label: 'nav.audit', roles: ['operator', 'tenant_admin'] },
  // Failed SIP sign-ins, bans and scanners: operators all of them, admins their domain's.
  { path: '/security', label: 'security.nav', roles: ['operator', 'tenant_admin'] },
  { path: '/calls', label: 'nav.calls', roles: ['tenant_admin', 'supervisor', 'user'] },
  // Call recordings: admins and supervisors all of the tenant's, users their own calls'; only admins delete.
  { path: '/recordings', label: 'recordings.nav', roles: ['tenant_admin', 'supervisor', 'user'] },
  { path: '/profile', label: 'nav.profile', roles: ['operator', 'tenant_admin', 'supervisor', 'user'] },
];

export function navFor(role: Role): NavItem[] {
  return NAV.filter((item) => item.roles.includes(role));
}

/** Where a role lands after signing in. */
export function homeOf(role: Role): string {
  return navFor(role)[0]?.path ?? '/profile';
}
