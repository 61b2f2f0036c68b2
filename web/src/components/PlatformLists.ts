/** The operator's whole lists for pickers: every tenant and every trunk (the most a list route gives; a platform's fit in it). */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';

export function useAllTenants() {
  return useQuery({
    queryKey: ['tenants', 'all'],
    queryFn: () => unwrap(api.GET('/api/v1/tenants', { params: { query: { limit: 200, sort: 'name' } } })),
  });
}

export function useAllTrunks() {
  return useQuery({
    queryKey: ['platformTrunks', 'all'],
    queryFn: () =>
      unwrap(api.GET('/api/v1/platform/trunks', { params: { query: { limit: 200, sort: 'name' } } })),
  });
}
