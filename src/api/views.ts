/**
 * Store rows -> API representations. Secrets (password hashes, SIP secrets, PINs,
 * TOTP seeds, key hashes) never leave through here; the audit log uses the same
 * views, so it cannot leak them either.
 */
import { effectiveCodes } from '../pbx/feature-codes.js';
import type { ApiKey, AuditEntry, Extension, Tenant, User } from '../store/schema.js';

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function tenantView(t: Tenant) {
  return {
    id: t.id,
    name: t.name,
    sipDomain: t.sipDomain,
    timeZone: t.timeZone,
    language: t.language,
    country: t.country,
    limits: {
      maxExtensions: t.maxExtensions,
      maxConcurrentCalls: t.maxConcurrentCalls,
      maxExternalCalls: t.maxExternalCalls,
      maxCallClass: t.maxCallClass,
      dailyExternalMinutes: t.dailyExternalMinutes,
      dailySpendCap: t.dailySpendCap,
      spendAlertPercent: t.spendAlertPercent,
      clearCallsAtCap: t.clearCallsAtCap,
      sipRequestsPerSecond: t.sipRequestsPerSecond,
    },
    localPrefixes: t.localPrefixes,
    defaultCallerId: t.defaultCallerId,
    codecs: t.codecs,
    featureCodes: effectiveCodes(t.featureCodes),
    enabled: t.enabled,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

export function userView(u: User) {
  return {
    id: u.id,
    tenantId: u.tenantId,
    email: u.email,
    displayName: u.displayName,
    role: u.role,
    language: u.language,
    totpEnabled: u.totpEnabled,
    disabled: u.disabled,
    lastLoginAt: isoOrNull(u.lastLoginAt),
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  };
}

export function extensionView(e: Extension) {
  return {
    id: e.id,
    tenantId: e.tenantId,
    number: e.number,
    displayName: e.displayName,
    userId: e.userId,
    voicemailEnabled: e.voicemailEnabled,
    hasVoicemailPin: e.voicemailPin !== null,
    callClass: e.callClass,
    dnd: e.dnd,
    ringTimeoutSec: e.ringTimeoutSec,
    forwarding: e.forwarding,
    status: e.status,
    callWaiting: e.callWaiting,
    callRules: e.callRules,
    outboundCallerId: e.outboundCallerId,
    maxExternalCalls: e.maxExternalCalls,
    externalBlocked: e.externalBlocked,
    recording: e.recording,
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

export function apiKeyView(k: ApiKey) {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    createdBy: k.createdBy,
    createdAt: iso(k.createdAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    expiresAt: isoOrNull(k.expiresAt),
  };
}

export function auditView(a: AuditEntry) {
  return {
    id: String(a.id),
    tenantId: a.tenantId,
    at: iso(a.at),
    actor: { type: a.actorType, id: a.actorId, label: a.actorLabel },
    action: a.action,
    resourceType: a.resourceType,
    resourceId: a.resourceId,
    before: a.before,
    after: a.after,
    ip: a.ip,
  };
}

/** A view as a plain record, the form stored in the audit log. */
export function auditSnapshot(view: object): Record<string, unknown> {
  return { ...view };
}
