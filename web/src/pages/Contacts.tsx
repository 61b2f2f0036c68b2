/**
 * The company phonebook for administrators and supervisors: search, add, edit,
 * delete; CSV import checked first (a dry run shows what would be created and
 * updated and which lines are skipped and why), then done; CSV export.
 */
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  FileInput,
  Group,
  Radio,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Me, ResponseOf } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { fieldError, ProblemAlert } from '../components/Problem';

type Contact = ResponseOf<'/api/v1/tenants/{tenantId}/contacts', 'get'>['items'][number];
type ImportResult = ResponseOf<'/api/v1/tenants/{tenantId}/contacts/import', 'post'>;
type NumberRow = { number: string; label: string };

const PAGE = 50;
const FIELDS = ['name', 'company', 'numbers', 'email', 'notes'] as const;
const PROBLEMS = ['required', 'tooLong', 'notEmail', 'notNumber', 'tooMany'] as const;
const isOneOf = <T extends string>(list: readonly T[], v: string): v is T =>
  (list as readonly string[]).includes(v);

function ContactForm({
  tenantId,
  contact,
  onDone,
}: {
  tenantId: string;
  contact: Contact | null;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(contact?.name ?? '');
  const [company, setCompany] = useState(contact?.company ?? '');
  const [email, setEmail] = useState(contact?.email ?? '');
  const [notes, setNotes] = useState(contact?.notes ?? '');
  const [numbers, setNumbers] = useState<NumberRow[]>(
    contact?.numbers.length ? contact.numbers : [{ number: '', label: '' }],
  );
  const save = useMutation({
    mutationFn: () => {
      const body = { name, company, email, notes, numbers: numbers.filter((n) => n.number.trim()) };
      return contact
        ? unwrap(
            api.PATCH('/api/v1/tenants/{tenantId}/contacts/{id}', {
              params: { path: { tenantId, id: contact.id } },
              body,
            }),
          )
        : unwrap(api.POST('/api/v1/tenants/{tenantId}/contacts', { params: { path: { tenantId } }, body }));
    },
    onSuccess: onDone,
  });
  const setNumber = (i: number, patch: Partial<NumberRow>) =>
    setNumbers((all) => all.map((n, j) => (j === i ? { ...n, ...patch } : n)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={save.error} fields={['name', 'company', 'email', 'notes', 'numbers']} />
        <TextInput
          label={t('contacts.name')}
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(save.error, 'name')}
          data-autofocus
        />
        <TextInput
          label={t('contacts.company')}
          value={company}
          onChange={(e) => setCompany(e.currentTarget.value)}
          error={fieldError(save.error, 'company')}
        />
        <Stack gap="xs">
          <Text size="sm" fw={500}>
            {t('contacts.numbers')}
          </Text>
          {numbers.map((n, i) => (
            // Rows have no identity of their own; their position is what the user edits.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <Group key={i} align="flex-end" wrap="nowrap">
              <TextInput
                label={t('contacts.number')}
                value={n.number}
                onChange={(e) => setNumber(i, { number: e.currentTarget.value })}
                inputMode="tel"
                style={{ flex: 2 }}
              />
              <TextInput
                label={t('contacts.label')}
                placeholder={t('contacts.labelHint')}
                value={n.label}
                onChange={(e) => setNumber(i, { label: e.currentTarget.value })}
                style={{ flex: 1 }}
              />
              <ActionIcon
                variant="subtle"
                color="red"
                mb={4}
                aria-label={t('contacts.removeNumber', { number: n.number })}
                onClick={() => setNumbers((all) => all.filter((_, j) => j !== i))}
              >
                ×
              </ActionIcon>
            </Group>
          ))}
          {fieldError(save.error, 'numbers') ? (
            <Text c="red" size="sm">
              {fieldError(save.error, 'numbers')}
            </Text>
          ) : null}
          <Group>
            <Button
              variant="light"
              size="xs"
              disabled={numbers.length >= 10}
              onClick={() => setNumbers((all) => [...all, { number: '', label: '' }])}
            >
              {t('contacts.addNumber')}
            </Button>
          </Group>
        </Stack>
        <TextInput
          label={t('contacts.email')}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={fieldError(save.error, 'email')}
        />
        <Textarea
          label={t('contacts.notes')}
          value={notes}
          onChange={(e) => setNotes(e.currentTarget.value)}
          error={fieldError(save.error, 'notes')}
          autosize
          minRows={2}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            {contact ? t('common.save') : t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ImportForm({ tenantId, onDone }: { tenantId: string; onDone: (r: ImportResult) => void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<'merge' | 'replace'>('merge');
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const run = useMutation({
    mutationFn: async (dryRun: boolean) => {
      if (!file) throw new Error(t('contacts.chooseFile'));
      const csv = await file.text();
      return unwrap(
        api.POST('/api/v1/tenants/{tenantId}/contacts/import', {
          params: { path: { tenantId } },
          body: { csv, mode, dryRun },
        }),
      );
    },
    onSuccess: (r) => (r.dryRun ? setPreview(r) : onDone(r)),
  });
  const counts = (r: ImportResult) => ({
    total: r.total,
    created: r.created,
    updated: r.updated,
    removed: r.removed,
    skipped: r.skipped,
  });
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('contacts.importHint')}
      </Text>
      <ProblemAlert error={run.error} />
      <FileInput
        label={t('contacts.file')}
        accept=".csv,text/csv"
        value={file}
        onChange={(f) => {
          setFile(f);
          setPreview(null);
        }}
        clearable
      />
      <Radio.Group
        label={t('contacts.mode')}
        value={mode}
        onChange={(v) => {
          setMode(v === 'replace' ? 'replace' : 'merge');
          setPreview(null);
        }}
      >
        <Stack gap="xs" mt="xs">
          <Radio value="merge" label={t('contacts.modes.merge')} />
          <Radio value="replace" label={t('contacts.modes.replace')} />
        </Stack>
      </Radio.Group>
      {preview ? (
        <Stack gap="xs" data-testid="import-preview">
          <Title order={4}>{t('contacts.previewTitle')}</Title>
          <Text>{t('contacts.summary', counts(preview))}</Text>
          {preview.errors.length ? (
            <>
              <Text fw={500}>{t('contacts.errors')}</Text>
              <Table striped data-testid="import-errors">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('contacts.line')}</Table.Th>
                    <Table.Th>{t('contacts.field')}</Table.Th>
                    <Table.Th>{t('contacts.problem')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {preview.errors.map((e) => (
                    <Table.Tr key={`${e.line}-${e.field}`}>
                      <Table.Td>{e.line}</Table.Td>
                      <Table.Td>{isOneOf(FIELDS, e.field) ? t(`contacts.${e.field}`) : e.field}</Table.Td>
                      <Table.Td>
                        {isOneOf(PROBLEMS, e.code)
                          ? t(`contacts.problems.${e.code}`, { value: e.value })
                          : e.message}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </>
          ) : null}
          {preview.preview.length ? (
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('contacts.line')}</Table.Th>
                  <Table.Th>{t('contacts.action')}</Table.Th>
                  <Table.Th>{t('contacts.name')}</Table.Th>
                  <Table.Th>{t('contacts.numbers')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {preview.preview.map((p) => (
                  <Table.Tr key={p.line}>
                    <Table.Td>{p.line}</Table.Td>
                    <Table.Td>{t(`contacts.actions.${p.action}`)}</Table.Td>
                    <Table.Td>{p.name}</Table.Td>
                    <Table.Td>{p.numbers.join(', ')}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : null}
        </Stack>
      ) : null}
      <Group justify="flex-end">
        <Button variant="default" onClick={() => run.mutate(true)} loading={run.isPending && !preview}>
          {t('contacts.preview')}
        </Button>
        <Button
          onClick={() => run.mutate(false)}
          disabled={!preview}
          loading={run.isPending && preview !== null}
        >
          {t('contacts.confirmImport')}
        </Button>
      </Group>
    </Stack>
  );
}

export default function Contacts({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const list = useListPage(PAGE);
  const [editing, setEditing] = useState<Contact | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Contact | null>(null);
  const [importing, setImporting] = useState(false);
  const [imported, setImported] = useState<ImportResult | null>(null);
  const contacts = useQuery({
    queryKey: ['contacts', tenantId, list.query],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/contacts', {
          params: { path: { tenantId }, query: { ...list.query, sort: 'name' } },
        }),
      ),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['contacts', tenantId] });
  const remove = useMutation({
    mutationFn: (c: Contact) =>
      unwrap(
        api.DELETE('/api/v1/tenants/{tenantId}/contacts/{id}', { params: { path: { tenantId, id: c.id } } }),
      ),
    onSuccess: () => {
      setDeleting(null);
      void refresh();
    },
  });
  const sourceOf = (s: string) =>
    s.startsWith('crm:')
      ? t('contacts.sources.crm', { name: s.slice(4) })
      : s === 'import'
        ? t('contacts.sources.import')
        : t('contacts.sources.manual');
  const items = contacts.data?.items ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('contacts.title')}</Title>
        <Group>
          <Button
            variant="default"
            component="a"
            href={`/api/v1/tenants/${tenantId}/contacts/export.csv`}
            download
          >
            {t('contacts.export')}
          </Button>
          <Button variant="default" onClick={() => setImporting(true)}>
            {t('contacts.import')}
          </Button>
          <Button onClick={() => setEditing('new')}>{t('contacts.add')}</Button>
        </Group>
      </Group>
      <Text c="dimmed">{t('contacts.intro')}</Text>
      {imported ? (
        <Alert color="green" withCloseButton onClose={() => setImported(null)} role="status">
          {t('contacts.done', imported)}
        </Alert>
      ) : null}
      <SearchField {...list.searchField} />
      <ProblemAlert error={contacts.error ?? remove.error} />
      {contacts.data && items.length === 0 ? (
        <Text c="dimmed">{list.search ? t('contacts.noMatch') : t('contacts.empty')}</Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={700}>
          <Table striped data-testid="contacts-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('contacts.name')}</Table.Th>
                <Table.Th>{t('contacts.company')}</Table.Th>
                <Table.Th>{t('contacts.numbers')}</Table.Th>
                <Table.Th>{t('contacts.email')}</Table.Th>
                <Table.Th>{t('contacts.source')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>{c.name}</Table.Td>
                  <Table.Td>{c.company}</Table.Td>
                  <Table.Td>
                    {c.numbers.map((n) => (
                      <div key={n.number}>
                        {n.number}
                        {n.label ? (
                          <Text span c="dimmed" size="sm">
                            {' '}
                            ({n.label})
                          </Text>
                        ) : null}
                      </div>
                    ))}
                  </Table.Td>
                  <Table.Td>{c.email}</Table.Td>
                  <Table.Td>
                    <Badge variant="light">{sourceOf(c.source)}</Badge>
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="subtle"
                        aria-label={t('contacts.editOf', { name: c.name })}
                        onClick={() => setEditing(c)}
                      >
                        {t('contacts.edit')}
                      </Button>
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        aria-label={t('contacts.deleteOf', { name: c.name })}
                        onClick={() => setDeleting(c)}
                      >
                        {t('common.delete')}
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={contacts.data?.total ?? 0} pageSize={PAGE} page={list.page} onChange={list.setPage} />
      <Dialog
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={
          editing && editing !== 'new' ? t('contacts.editTitle', { name: editing.name }) : t('contacts.add')
        }
      >
        {editing ? (
          <ContactForm
            tenantId={tenantId}
            contact={editing === 'new' ? null : editing}
            onDone={() => {
              setEditing(null);
              void refresh();
            }}
          />
        ) : null}
      </Dialog>
      <Dialog
        opened={importing}
        onClose={() => setImporting(false)}
        title={t('contacts.importTitle')}
        size="xl"
      >
        {importing ? (
          <ImportForm
            tenantId={tenantId}
            onDone={(r) => {
              setImporting(false);
              setImported(r);
              void refresh();
            }}
          />
        ) : null}
      </Dialog>
      <Dialog opened={deleting !== null} onClose={() => setDeleting(null)} title={t('common.delete')}>
        <Stack>
          <Text>{t('contacts.deleteConfirm', { name: deleting?.name ?? '' })}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>
              {t('common.cancel')}
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() => deleting && remove.mutate(deleting)}
            >
              {t('common.delete')}
            </Button>
          </Group>
        </Stack>
      </Dialog>
    </Stack>
  );
}
