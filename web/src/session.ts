/**
 * Who is signed in: GET /api/v1/auth/me through TanStack Query. A 401 means
 * nobody (the sign-in page shows); any other failure is an error to show.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiProblem, api, unwrap } from './api/client';
import type { Me } from './api/types';

export const ME_KEY = ['me'] as const;

export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async (): Promise<Me | null> => {
      try {
        return await unwrap(api.GET('/api/v1/auth/me'));
      } catch (e) {
        if (e instanceof ApiProblem && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: 60_000,
    retry: (n, e) => !(e instanceof ApiProblem && e.status < 500) && n < 2,
  });
}

export function useSignOut(): () => Promise<void> {
  const client = useQueryClient();
  return async () => {
    await api.POST('/api/v1/auth/logout').catch(() => undefined);
    client.clear();
    client.setQueryData(ME_KEY, null);
  };
}
