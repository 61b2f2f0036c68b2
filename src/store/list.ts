/** Shared list (pagination, sorting, text search) mechanics for repositories. */
import { type SelectQueryBuilder, sql } from 'kysely';

export interface ListQuery {
  limit: number;
  offset: number;
  /** API field name; must be one of the repository's sortable fields. */
  sort?: string | undefined;
  desc?: boolean | undefined;
  /** Free-text search over the repository's searchable columns. */
  q?: string | undefined;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Escapes LIKE wildcards so a search for "50%" means the text "50%". */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Runs a filtered base query twice: once for the total, once for the page.
 * `sortColumns` maps API sort names to columns; ties are broken by id so pages never overlap.
 */
export async function paginate<DB, TB extends keyof DB, O>(
  base: SelectQueryBuilder<DB, TB, O>,
  query: ListQuery,
  sortColumns: Record<string, string>,
  defaultSort: string,
): Promise<Page<O>> {
  const sortKey = query.sort && sortColumns[query.sort] ? query.sort : defaultSort;
  const column = sortColumns[sortKey] ?? 'id';
  const direction = query.desc ? sql`desc` : sql`asc`;
  const countRow = await base.clearSelect().select(sql<number>`count(*)::int`.as('total')).executeTakeFirst();
  const items = await base
    .orderBy(sql`${sql.ref(column)} ${direction}`)
    .orderBy(sql`${sql.ref('id')} ${direction}`)
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  return {
    items: items as O[],
    total: (countRow as unknown as { total: number } | undefined)?.total ?? 0,
    limit: query.limit,
    offset: query.offset,
  };
}
