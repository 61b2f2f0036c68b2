/**
 * The permission matrix: one table, in code, of which role may do what.
 * 'any' = on every object of its tenant (operators: of every tenant);
 * 'own' = only on objects the user owns (the handler enforces ownership).
 * A role missing from a row is refused with 403.
 */
import type { Role } from '../store/schema.js';

export type Access = 'any' | 'own';

export const PERMISSIONS = {
  'tenants.list': { operator: 'any' },
  'tenants.create': { operator: 'any' },
  'tenants.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'any' },
  'tenants.update': { operator: 'any', tenant_admin: 'any' },
  'tenants.delete': { operator: 'any' },

  'users.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any' },
  'users.write': { operator: 'any', tenant_admin: 'any' },

  // Everyone in a company sees the internal directory; secrets are never in a read.
  'extensions.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'any' },
  'extensions.create': { operator: 'any', tenant_admin: 'any' },
  'extensions.update': { operator: 'any', tenant_admin: 'any', user: 'own' },
  'extensions.delete': { operator: 'any', tenant_admin: 'any' },
  'extensions.resetSecret': { operator: 'any', tenant_admin: 'any' },

  // Call routing: calendars, time conditions, ring groups, inbound routes.
  'routing.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any' },
  'routing.write': { operator: 'any', tenant_admin: 'any' },
  // Calendars are read by everyone (office hours; a user's status may follow one).
  'calendars.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'any' },
  // Forcing a calendar open or closed (a supervisor closes the office early).
  'routing.override': { operator: 'any', tenant_admin: 'any', supervisor: 'any' },

  // Call queues at work: wallboards, agents' logins and pauses, statistics.
  // A user sees the queues they answer and logs themselves in and out.
  'queues.monitor': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'own' },
  'queues.agents': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'own' },
  'queues.stats': { operator: 'any', tenant_admin: 'any', supervisor: 'any' },

  // Voicemail: a user (or supervisor) their own mailboxes (their extensions', groups they belong to).
  'voicemail.read': { operator: 'any', tenant_admin: 'any', supervisor: 'own', user: 'own' },
  'voicemail.write': { operator: 'any', tenant_admin: 'any', supervisor: 'own', user: 'own' },
  // Shared group mailboxes are made and removed by administrators.
  'voicemail.manage': { operator: 'any', tenant_admin: 'any' },

  // The company phonebook: everyone reads it (the softphone's directory); managers keep it.
  'contacts.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'any' },
  'contacts.manage': { operator: 'any', tenant_admin: 'any', supervisor: 'any' },

  'apiKeys.manage': { operator: 'any', tenant_admin: 'any' },
  'webhooks.manage': { operator: 'any', tenant_admin: 'any' },
  // Ticket systems and CRMs: their tokens are the company's keys to other systems.
  'integrations.manage': { operator: 'any', tenant_admin: 'any' },
  'platformApiKeys.manage': { operator: 'any' },

  'audit.read': { operator: 'any', tenant_admin: 'any' },
  // A user sees the calls of their own extensions (the handler filters).
  'calls.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'own' },
  // Click-to-call: a supervisor or user from their own extensions (the handler checks): a call
  // from someone else's extension would borrow its call class.
  // Reports on the tenant's calls: managers.
  'reports.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any' },
  'recordings.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'own' },
  'recordings.delete': { operator: 'any', tenant_admin: 'any' },
  'recordings.manage': { operator: 'any', tenant_admin: 'any' },
  'calls.originate': { operator: 'any', tenant_admin: 'any', supervisor: 'own', user: 'own' },
  // Hanging up and transferring live calls: 'own' is a call one of the user's extensions is on
  // (caller or callee); anyone else's call is refused (docs/call-control.md).
  'calls.control': { operator: 'any', tenant_admin: 'any', supervisor: 'own', user: 'own' },
  // Failed SIP logins, bans and scanners that named the company's domain: its administrators.
  'security.read': { operator: 'any', tenant_admin: 'any' },
  // Lifting a SIP ban early: a company's administrators for their own users' bans.
  'security.manage': { operator: 'any', tenant_admin: 'any' },
  // Lifting any SIP ban, a whole address's included (it may carry several companies' phones).
  'platform.security': { operator: 'any' },
  'platformAudit.read': { operator: 'any' },
  'platform.read': { operator: 'any' },
  // Carriers' trunks and the public number pool belong to the operator; tenants read their numbers.
  'trunks.manage': { operator: 'any' },
  // Calls in progress and registered devices; a user sees their own extensions'.
  'live.read': { operator: 'any', tenant_admin: 'any', supervisor: 'any', user: 'own' },

  // Every signed-in principal may look at and manage itself.
  self: { operator: 'own', tenant_admin: 'own', supervisor: 'own', user: 'own' },
} as const satisfies Record<string, Partial<Record<Role, Access>>>;

export type Permission = keyof typeof PERMISSIONS;

export function accessFor(permission: Permission, role: Role): Access | null {
  const row: Partial<Record<Role, Access>> = PERMISSIONS[permission];
  return row[role] ?? null;
}
