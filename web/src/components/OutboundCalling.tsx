/**
 * What the tenant's outbound-calling pages read: its public numbers and trunks
 * (the operator gives both), the tenant itself, its extensions (all of them, and
 * those whose external calls are blocked), and the choice of a caller ID among
 * its numbers: the outbound route's, the extension's and the tenant's default pick
 * from the same list.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { Extension, TenantNumber } from '../api/types';

export function useTenant(tenantId: string) {
  return useQuery({
    queryKey: ['tenant', tenantId],
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}', { params: { path: { tenantId } } })),
  });
}

/** The most a list route gives at once. */
const ALL = 200;

/** The tenant's extensions for pickers (the same query as the routing pages' pickers). */
export function useAllExtensions(tenantId: string) {
  return useQuery({
    queryKey: ['extensions', tenantId, 'all'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId }, query: { limit: ALL, sort: 'number' } },
        }),
      ),
  });
}

/**
 * Extensions whose external calls are blocked. The list route has no filter for it,
 * so every page is read; a change to any extension makes it stale.
 */
export function useBlockedExtensions(tenantId: string) {
  return useQuery({
    queryKey: ['extensions', tenantId, 'blocked'],
    queryFn: async () => {
      const blocked: Extension[] = [];
      for (let offset = 0; ; offset += ALL) {
        const page = await unwrap(
          api.GET('/api/v1/tenants/{tenantId}/extensions', {
            params: { path: { tenantId }, query: { limit: ALL, offset, sort: 'number' } },
          }),
        );
        blocked.push(...page.items.filter((e) => e.externalBlocked !== null));
        if (offset + ALL >= page.total || page.items.length === 0) return blocked;
      }
    },
  });
}

export function useTenantNumbers(tenantId: string) {
  return useQuery({
    queryKey: ['tenantNumbers', tenantId],
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}/numbers', { params: { path: { tenantId } } })),
  });
}

export function useTenantTrunks(tenantId: string) {
  return useQuery({
    queryKey: ['tenantTrunks', tenantId],
    refetchInterval: 10_000,
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}/trunks', { params: { path: { tenantId } } })),
  });
}

/** The select's value for "no caller ID of its own" (null in the API); no number or 'anonymous' is spelt so. */
export const DEFAULT_CALLER_ID = 'default';

/**
 * Options of a caller-ID select: "none of its own" first, "withheld" when offered,
 * then the tenant's numbers — and the value saved now, should it no longer be one
 * of them (the operator took the number back), so the select still shows it.
 */
export function callerIdOptions(
  numbers: readonly TenantNumber[],
  current: string | null,
  labels: { none: string; anonymous?: string },
): { value: string; label: string }[] {
  const own = numbers.map((n) => n.number);
  const extra = current && current !== 'anonymous' && !own.includes(current) ? [current] : [];
  return [
    { value: DEFAULT_CALLER_ID, label: labels.none },
    ...(labels.anonymous ? [{ value: 'anonymous', label: labels.anonymous }] : []),
    ...[...own, ...extra].map((n) => ({ value: n, label: n })),
  ];
}

export const callerIdValue = (v: string | null): string => v ?? DEFAULT_CALLER_ID;
export const callerIdOf = (v: string | null): string | null => (!v || v === DEFAULT_CALLER_ID ? null : v);

/** Blocks an extension's external calls, saying why, or unblocks it (reason null; also clears the fraud rule's block). */
export function useSetBlocked(tenantId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, reason }: { id: string; number: string; reason: string | null }) =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/extensions/{id}', {
          params: { path: { tenantId, id } },
          body: { externalBlocked: reason },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['extensions', tenantId] }),
  });
}
