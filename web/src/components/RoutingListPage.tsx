/**
 * What the routing pages (ring groups, queues, IVR menus, calendars, time conditions, inbound and
 * outbound routes) share: the list of the tenant's objects of one kind with search, a table whose
 * last column has the row's edit/view and delete buttons, the pager, the editor in
 * a dialog ("New …" or "… {{name}}"), the delete confirmation, and the frame of the
 * editor's form (its problems, its fields read-only for a role that only reads,
 * cancel/close and save/create). A page brings its columns and its form's fields, and
 * may bring what a row shows under it on demand (a menu's tree).
 */
import {
  Box,
  Button,
  Fieldset,
  Group,
  Stack,
  Table,
  type TableTdProps,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import {
  keepPreviousData,
  type UseMutationResult,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { type FormEvent, Fragment, type ReactNode, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type {
  BodyOf,
  Calendar,
  InboundRoute,
  Me,
  OutboundRoute,
  Queue,
  ResponseOf,
  RingGroup,
  TimeCondition,
} from '../api/types';
import { ConfirmDelete } from './ConfirmDelete';
import { Dialog } from './Dialog';
import { Pager, SearchField, useListPage } from './ListPage';
import { ProblemAlert, useRevealError } from './Problem';
import { RowActions } from './RowActions';

const PAGE = 25;

/** Each kind of routing object: its query key and i18n namespace, and its part of the API's routes. */
const ROUTES = {
  ringGroups: 'ring-groups',
  queues: 'queues',
  ivrMenus: 'ivr-menus',
  calendars: 'calendars',
  timeConditions: 'time-conditions',
  inboundRoutes: 'inbound-routes',
  outboundRoutes: 'outbound-routes',
} as const;

export type RoutingKind = keyof typeof ROUTES;

type ListPath<K extends RoutingKind> = `/api/v1/tenants/{tenantId}/${(typeof ROUTES)[K]}`;
type ItemPath<K extends RoutingKind> = `${ListPath<K>}/{id}`;

/** A routing object of each kind, as the API answers it. */
interface RoutingObjects {
  ringGroups: RingGroup;
  queues: Queue;
  ivrMenus: ResponseOf<'/api/v1/tenants/{tenantId}/ivr-menus/{id}', 'get'>;
  calendars: Calendar;
  timeConditions: TimeCondition;
  inboundRoutes: InboundRoute;
  outboundRoutes: OutboundRoute;
}

/** The JSON body that creates or changes a routing object of this kind. */
export type RoutingBody<K extends RoutingKind> = BodyOf<ListPath<K>, 'post'>;

type Answer<T> = Promise<{ data?: T; error?: unknown; response: Response }>;
type TenantParams = { path: { tenantId: string } };
type ItemParams = { path: { tenantId: string; id: string } };

/**
 * The API client as one kind's routes see it. openapi-fetch types a call by its path
 * written out; for a path that follows `kind` it would want a body good for all four
 * kinds at once and answer any of them. So the calls here go through this view, in
 * which each kind's routes take and answer that kind's own types (RoutingBody and
 * RoutingObjects, both from the schema).
 */
interface KindClient<K extends RoutingKind> {
  GET(
    path: ListPath<K>,
    init: { params: TenantParams & { query: ListQuery } },
  ): Answer<{ items: RoutingObjects[K][]; total: number }>;
  POST(path: ListPath<K>, init: { params: TenantParams; body: RoutingBody<K> }): Answer<unknown>;
  PUT(path: ItemPath<K>, init: { params: ItemParams; body: RoutingBody<K> }): Answer<unknown>;
  DELETE(path: ItemPath<K>, init: { params: ItemParams }): Answer<unknown>;
}

type ListQuery = ReturnType<typeof useListPage>['query'] & { sort: 'name' | 'number' };

function kindApi<K extends RoutingKind>(kind: K) {
  const list: ListPath<K> = `/api/v1/tenants/{tenantId}/${ROUTES[kind]}`;
  return { client: api as KindClient<K>, list, item: `${list}/{id}` as const };
}

/** What the page's editor is given: the object (null: a new one) and how to finish. */
export interface RoutingEditorProps<T> {
  tenantId: string;
  item: T | null;
  canWrite: boolean;
  /** Saved: the dialog closes and the lists are fetched again. */
  onDone: () => void;
  onClose: () => void;
  /** Puts another object of the kind in the dialog (a sub-menu of a menu). */
  onOpen: (item: T) => void;
}

/** A part of a row shown under it on demand (a menu's tree): the toggle, and what it shows. */
export interface RoutingExpansion<T> {
  /** The toggle's text, and its accessible name for a row. */
  toggle: string;
  label: (item: T) => string;
  /** `open` puts an object of the kind in the editor. */
  render: (item: T, open: (item: T) => void) => ReactNode;
}

/** One column of the list: its heading and what a row shows in it. */
export interface RoutingColumn<T> {
  title: string;
  cell: (item: T) => ReactNode;
  /** Props of the cell (the first column's is bold). */
  td?: TableTdProps;
}

export function RoutingListPage<K extends RoutingKind>({
  me,
  kind,
  sort = 'name',
  intro,
  minWidth,
  dialogSize = 'xl',
  columns,
  nameOf = (item) => item.name,
  alsoStale = [],
  arrange,
  startNew = false,
  editor,
  expansion,
}: {
  me: Me;
  kind: K;
  /** The field the list is sorted by. */
  sort?: 'name' | 'number';
  /** A line under the title, saying what the objects are for. */
  intro?: ReactNode;
  /** Of the table, below which it scrolls sideways. */
  minWidth: number;
  dialogSize?: 'lg' | 'xl';
  columns: RoutingColumn<RoutingObjects[K]>[];
  /** How the object is named on its buttons and in the dialogs' titles. */
  nameOf?: (item: RoutingObjects[K]) => string;
  /** Query keys of the tenant, besides the kind's own, that a change makes stale. */
  alsoStale?: string[];
  /** The order the page's objects are shown in, when not the API's (outbound routes by priority). */
  arrange?: (items: RoutingObjects[K][]) => RoutingObjects[K][];
  /** Opens the "New …" dialog at once (a link from another page asked for a new object). */
  startNew?: boolean;
  /** The form in the dialog, as an element (it is called, not mounted: `(props) => <Form {...props} />`). */
  editor: (props: RoutingEditorProps<RoutingObjects[K]>) => ReactNode;
  /** A toggle in each row that shows more of the object under the row. */
  expansion?: RoutingExpansion<RoutingObjects[K]>;
}) {
  type T = RoutingObjects[K];
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const canWrite = me.role === 'tenant_admin' || me.role === 'operator';
  const paging = useListPage(PAGE);
  // On a phone the editor takes the whole screen.
  const phone = useMediaQuery('(max-width: 36em)') ?? false;
  const { search, page } = paging;
  const [editing, setEditing] = useState<T | 'new' | null>(startNew && canWrite ? 'new' : null);
  const [deleting, setDeleting] = useState<T | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setExpanded((ids) => {
      const next = new Set(ids);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  // The i18n namespace, as the union of kinds: i18next checks keys built from it (not from K).
  const ns: RoutingKind = kind;
  const routes = kindApi(kind);
  const list = useQuery({
    queryKey: [kind, tenantId, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        routes.client.GET(routes.list, { params: { path: { tenantId }, query: { ...paging.query, sort } } }),
      ),
  });
  const changed = () => {
    for (const key of [kind, ...alsoStale]) void client.invalidateQueries({ queryKey: [key, tenantId] });
  };
  const close = () => setEditing(null);
  const items = list.data ? (arrange ? arrange(list.data.items) : list.data.items) : [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t(`${ns}.title`)}</Title>
        {canWrite ? <Button onClick={() => setEditing('new')}>{t(`${ns}.add`)}</Button> : null}
      </Group>
      {intro ? (
        <Text size="sm" c="dimmed">
          {intro}
        </Text>
      ) : null}
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t(`${ns}.empty`)}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={minWidth}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                {columns.map((c) => (
                  <Table.Th key={c.title}>{c.title}</Table.Th>
                ))}
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((item) => {
                const open = expansion !== undefined && expanded.has(item.id);
                const more = `${kind}-more-${item.id}`;
                return (
                  <Fragment key={item.id}>
                    <Table.Tr>
                      {columns.map((c) => (
                        <Table.Td key={c.title} {...c.td}>
                          {c.cell(item)}
                        </Table.Td>
                      ))}
                      <Table.Td>
                        <Group gap={4} wrap="nowrap" justify="flex-end">
                          {expansion ? (
                            <Button
                              size="xs"
                              variant={open ? 'light' : 'subtle'}
                              aria-expanded={open}
                              aria-controls={open ? more : undefined}
                              aria-label={expansion.label(item)}
                              onClick={() => toggle(item.id)}
                            >
                              {open ? '▾' : '▸'} {expansion.toggle}
                            </Button>
                          ) : null}
                          <RowActions
                            name={nameOf(item)}
                            canWrite={canWrite}
                            onEdit={() => setEditing(item)}
                            onDelete={() => setDeleting(item)}
                          />
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                    {open ? (
                      <Table.Tr id={more}>
                        <Table.Td colSpan={columns.length + 1}>
                          {/* Stays in view, as wide as the screen, while a narrow screen scrolls the table sideways. */}
                          <Box style={{ position: 'sticky', left: 0, maxWidth: 'calc(100vw - 64px)' }}>
                            {expansion.render(item, setEditing)}
                          </Box>
                        </Table.Td>
                      </Table.Tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog
        opened={editing !== null}
        onClose={close}
        fullScreen={phone}
        size={dialogSize}
        title={
          editing === 'new' ? t(`${ns}.add`) : editing ? t(`${ns}.editTitle`, { name: nameOf(editing) }) : ''
        }
      >
        {editing
          ? editor({
              tenantId,
              item: editing === 'new' ? null : editing,
              canWrite,
              onClose: close,
              onOpen: setEditing,
              onDone: () => {
                close();
                changed();
              },
            })
          : null}
      </Dialog>
      <ConfirmDelete
        target={deleting ? { id: deleting.id, name: nameOf(deleting) } : null}
        onClose={() => setDeleting(null)}
        onDelete={(id) => unwrap(routes.client.DELETE(routes.item, { params: { path: { tenantId, id } } }))}
        onDeleted={() => {
          setDeleting(null);
          changed();
        }}
      />
    </Stack>
  );
}

/** Creates the editor's object, or changes it when it has one; `mutate` takes the body. */
export function useSaveRouting<K extends RoutingKind>(
  kind: K,
  { tenantId, item, onDone }: Pick<RoutingEditorProps<{ id: string }>, 'tenantId' | 'item' | 'onDone'>,
) {
  const routes = kindApi(kind);
  return useMutation({
    mutationFn: (body: RoutingBody<K>) =>
      item
        ? unwrap(routes.client.PUT(routes.item, { params: { path: { tenantId, id: item.id } }, body }))
        : unwrap(routes.client.POST(routes.list, { params: { path: { tenantId } }, body })),
    onSuccess: onDone,
  });
}

/**
 * The editor's form: `before` (above the problems), the problems not shown at a
 * field, the fields (read-only for a role that only reads), and cancel/close and
 * save/create.
 */
export function RoutingForm<B>({
  editor: { item, canWrite, onClose },
  save,
  body,
  fields,
  before,
  children,
}: {
  editor: Pick<RoutingEditorProps<unknown>, 'item' | 'canWrite' | 'onClose'>;
  save: UseMutationResult<unknown, Error, B>;
  /** The body to save, as the form has it now. */
  body: () => B;
  /** The fields whose problems show at the field rather than above the form. */
  fields: string[];
  before?: ReactNode;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const form = useRef<HTMLFormElement>(null);
  useRevealError(save.error, form);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(body());
  };
  return (
    <form onSubmit={submit} noValidate ref={form}>
      <Stack>
        {before}
        <ProblemAlert error={save.error} fields={fields} />
        <Fieldset variant="unstyled" disabled={!canWrite} p={0}>
          <Stack>{children}</Stack>
        </Fieldset>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {canWrite ? t('common.cancel') : t('common.close')}
          </Button>
          {canWrite ? (
            <Button type="submit" loading={save.isPending}>
              {item ? t('common.save') : t('common.create')}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}
