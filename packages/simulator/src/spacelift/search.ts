import { SpaceliftStoreError } from './store-error.js';

/** Spacelift's `SearchInput`, as the GraphQL layer receives it. */
export interface SearchInput {
  first?: number | null;
  after?: string | null;
  fullTextSearch?: string | null;
  predicates?: ReadonlyArray<{
    field: string;
    constraint: {
      booleanEquals?: readonly boolean[] | null;
      enumEquals?: readonly string[] | null;
      stringMatches?: readonly string[] | null;
    };
    exclude?: boolean | null;
  }> | null;
  orderBy?: { field: string; direction: 'ASC' | 'DESC' } | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { endCursor: string | null; hasNextPage: boolean; hasPreviousPage: boolean };
}

/** How to read a searchable field of a record: strings (a label list gives several) or a boolean. */
export type FieldReader<T> = (record: T, field: string) => readonly string[] | boolean | undefined;

const DEFAULT_PAGE_SIZE = 50;

const toCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
const fromCursor = (cursor: string): string => Buffer.from(cursor, 'base64url').toString('utf8');

/** `*` matches any run of characters; everything else literally (case-sensitive, like label matching). */
function matches(value: string, pattern: string): boolean {
  if (!pattern.includes('*')) return value === pattern;
  const re = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${re.join('.*')}$`).test(value);
}

/**
 * Filters, orders and pages records the way Spacelift's search endpoints do: predicates are
 * ANDed, a constraint's values ORed, `exclude` negates; cursors are opaque and stable.
 */
export function search<T extends { id: string }>(
  records: readonly T[],
  input: SearchInput,
  read: FieldReader<T>,
  text: (record: T) => string,
): Connection<T> {
  const first = input.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1) {
    throw new SpaceliftStoreError('INVALID_INPUT', `"first" must be a positive integer, got ${first}`);
  }
  let rows = records.filter((record) =>
    (input.predicates ?? []).every((p) => {
      const value = read(record, p.field);
      if (value === undefined) {
        throw new SpaceliftStoreError('INVALID_INPUT', `unknown search field "${p.field}"`);
      }
      const { booleanEquals, enumEquals, stringMatches } = p.constraint;
      let hit: boolean;
      if (typeof value === 'boolean') hit = (booleanEquals ?? []).includes(value);
      else if (enumEquals) hit = value.some((v) => enumEquals.includes(v));
      else hit = value.some((v) => (stringMatches ?? []).some((pattern) => matches(v, pattern)));
      return p.exclude ? !hit : hit;
    }),
  );
  const needle = input.fullTextSearch?.trim().toLowerCase();
  if (needle) rows = rows.filter((r) => text(r).toLowerCase().includes(needle));

  const order = input.orderBy ?? { field: 'id', direction: 'ASC' as const };
  const key = (r: T): string => {
    const v = read(r, order.field);
    if (v === undefined)
      throw new SpaceliftStoreError('INVALID_INPUT', `unknown order field "${order.field}"`);
    return typeof v === 'boolean' ? String(v) : (v[0] ?? '');
  };
  const sign = order.direction === 'DESC' ? -1 : 1;
  rows = [...rows].sort((a, b) => sign * (key(a).localeCompare(key(b)) || a.id.localeCompare(b.id)));

  let start = 0;
  if (input.after) {
    const afterId = fromCursor(input.after);
    const index = rows.findIndex((r) => r.id === afterId);
    if (index < 0) throw new SpaceliftStoreError('INVALID_INPUT', `invalid cursor "${input.after}"`);
    start = index + 1;
  }
  const page = rows.slice(start, start + first);
  const edges = page.map((node) => ({ cursor: toCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      endCursor: edges.at(-1)?.cursor ?? null,
      hasNextPage: start + first < rows.length,
      hasPreviousPage: start > 0,
    },
  };
}
