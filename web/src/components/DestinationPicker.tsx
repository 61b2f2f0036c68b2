/**
 * Choosing where a call goes next (a Destination of the API): first what kind of
 * place, then which one — an extension, ring group, queue or time condition from the
 * tenant's lists, a number to dial, or how to hang up. One labelled group of
 * ordinary selects, so it works from the keyboard; a problem about the
 * destination or any of its fields shows under it.
 */
import { Fieldset, Select, SimpleGrid, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Destination, DestinationKind, HangupCause } from '../api/types';
import { FieldErrorText, fieldError, fieldErrorWithin } from './Problem';

export const DESTINATION_KINDS = [
  'extension',
  'ringGroup',
  'queue',
  'ivr',
  'voicemail',
  'timeCondition',
  'number',
  'hangup',
  'directory',
] as const satisfies readonly DestinationKind[];
export const HANGUP_CAUSES = ['busy', 'unavailable', 'rejected'] as const satisfies readonly HangupCause[];

/** The most a list route gives at once; a tenant's routing objects fit in it. */
const ALL = 200;

/** Every extension, ring group and time condition of the tenant (and with `calendars`, calendar), for the pickers. */
export function useRoutingOptions(tenantId: string, { calendars: withCalendars = false } = {}) {
  const path = { tenantId };
  const extensions = useQuery({
    queryKey: ['extensions', tenantId, 'all'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path, query: { limit: ALL, sort: 'number' } },
        }),
      ),
  });
  const ringGroups = useQuery({
    queryKey: ['ringGroups', tenantId, 'all'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/ring-groups', {
          params: { path, query: { limit: ALL, sort: 'name' } },
        }),
      ),
  });
  const queues = useQuery({
    queryKey: ['queues', tenantId, 'all'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/queues', {
          params: { path, query: { limit: ALL, sort: 'name' } },
        }),
      ),
  });
  const ivrMenus = useQuery({
    queryKey: ['ivrMenus', tenantId, 'all'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/ivr-menus', {
          params: { path, query: { limit: ALL, sort: 'name' } },
        }),
      ),
  });
  const mailboxes = useQuery({
    queryKey: ['voicemailBoxes', tenantId],
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}/voicemail/boxes', { params: { path } })),
  });
  const timeConditions = useQuery({
    queryKey: ['timeConditions', tenantId, 'all'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/time-conditions', {
          params: { path, query: { limit: ALL, sort: 'name' } },
        }),
      ),
  });
  const calendars = useQuery({
    queryKey: ['calendars', tenantId, 'all'],
    enabled: withCalendars,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/calendars', {
          params: { path, query: { limit: ALL, sort: 'name' } },
        }),
      ),
  });
  return {
    extensions: extensions.data?.items ?? [],
    ringGroups: ringGroups.data?.items ?? [],
    queues: queues.data?.items ?? [],
    ivrMenus: ivrMenus.data?.items ?? [],
    mailboxes: mailboxes.data?.items ?? [],
    timeConditions: timeConditions.data?.items ?? [],
    calendars: calendars.data?.items ?? [],
    error:
      extensions.error ??
      ringGroups.error ??
      queues.error ??
      ivrMenus.error ??
      mailboxes.error ??
      timeConditions.error ??
      calendars.error,
    /** Still loading: an id not in the lists may only not be there yet. */
    loading:
      extensions.isPending ||
      ringGroups.isPending ||
      queues.isPending ||
      ivrMenus.isPending ||
      mailboxes.isPending ||
      timeConditions.isPending ||
      (withCalendars && calendars.isPending),
  };
}

export type RoutingOptions = ReturnType<typeof useRoutingOptions>;

const withNumber = (number: string | null, name: string) => (number ? `${number} ${name}` : name);

/** A destination in words: "Extension 101 Reception", "Ring group Sales", "Number 84951234567". */
export function useDescribeDestination(options: RoutingOptions) {
  const { t } = useTranslation();
  const unknown = options.loading ? '…' : t('destination.missing');
  return (d: Destination | null | undefined, none?: string): string => {
    if (!d) return none ?? t('common.none');
    const kind = t(`destination.kinds.${d.kind}`);
    switch (d.kind) {
      case 'extension': {
        const e = options.extensions.find((x) => x.id === d.id);
        return `${kind} ${e ? withNumber(e.number, e.displayName) : unknown}`;
      }
      case 'ringGroup': {
        const g = options.ringGroups.find((x) => x.id === d.id);
        return `${kind} ${g ? withNumber(g.number, g.name) : unknown}`;
      }
      case 'queue': {
        const q = options.queues.find((x) => x.id === d.id);
        return `${kind} ${q ? withNumber(q.number, q.name) : unknown}`;
      }
      case 'ivr': {
        const m = options.ivrMenus.find((x) => x.id === d.id);
        return `${kind} ${m ? withNumber(m.number, m.name) : unknown}`;
      }
      case 'voicemail': {
        const b = options.mailboxes.find((x) => x.id === d.id);
        return `${kind} ${b ? withNumber(b.number, b.name) : unknown}`;
      }
      case 'timeCondition': {
        const c = options.timeConditions.find((x) => x.id === d.id);
        return `${kind} ${c ? c.name : unknown}`;
      }
      case 'number':
        return `${kind} ${d.number ?? ''}`;
      case 'hangup':
        return `${kind}: ${d.cause ? t(`destination.causes.${d.cause}`) : ''}`;
      case 'directory':
        return kind;
    }
  };
}

/** The first destination of a kind: the fields that kind uses, nothing chosen yet but a hang-up's cause. */
function blank(kind: DestinationKind): Destination {
  if (kind === 'hangup') return { kind, cause: 'busy' };
  if (kind === 'number') return { kind, number: '' };
  return { kind };
}

const NONE = 'none';

export function DestinationPicker({
  label,
  value,
  onChange,
  options,
  error,
  field,
  optional = false,
  noneLabel,
  exclude,
  description,
}: {
  label: string;
  value: Destination | null;
  onChange: (d: Destination | null) => void;
  options: RoutingOptions;
  /** The save's error: shown here when its field is `field` or under it. */
  error: unknown;
  /** Where this destination is in the request body, dotted (`whenOpen`, `callerRules.0.destination`). */
  field: string;
  /** Offers "none" (null). */
  optional?: boolean;
  noneLabel?: string;
  /** The object being edited, which may not be its own destination. */
  exclude?: string;
  description?: string;
}) {
  const { t } = useTranslation();
  const errorId = useId();
  const descriptionId = useId();
  const kind = value?.kind ?? NONE;
  const kinds = [
    ...(optional ? [{ value: NONE, label: noneLabel ?? t('destination.kinds.none') }] : []),
    ...DESTINATION_KINDS.map((k) => ({ value: k, label: t(`destination.kinds.${k}`) })),
  ];
  // The control of the chosen kind shows a problem about its own field; the group shows any other
  // problem about the destination (a loop through it, a field its kind does not take).
  // Dial by name names nothing: it has no field of its own.
  const part = value
    ? value.kind === 'number'
      ? 'number'
      : value.kind === 'hangup'
        ? 'cause'
        : value.kind === 'directory'
          ? null
          : 'id'
    : null;
  const partError = part ? fieldError(error, `${field}.${part}`) : undefined;
  const wholeError = partError ? undefined : fieldErrorWithin(error, field);
  let which: ReactNode = null;
  if (
    value &&
    (value.kind === 'extension' ||
      value.kind === 'ringGroup' ||
      value.kind === 'queue' ||
      value.kind === 'ivr' ||
      value.kind === 'voicemail' ||
      value.kind === 'timeCondition')
  ) {
    const numbered = {
      ringGroup: options.ringGroups,
      queue: options.queues,
      ivr: options.ivrMenus,
      voicemail: options.mailboxes,
    };
    const data =
      value.kind === 'extension'
        ? options.extensions.map((e) => ({ value: e.id, label: withNumber(e.number, e.displayName) }))
        : value.kind === 'ringGroup' ||
            value.kind === 'queue' ||
            value.kind === 'ivr' ||
            value.kind === 'voicemail'
          ? numbered[value.kind]
              .filter((g) => g.id !== exclude)
              .map((g) => ({ value: g.id, label: withNumber(g.number, g.name) }))
          : options.timeConditions
              .filter((c) => c.id !== exclude)
              .map((c) => ({ value: c.id, label: c.name }));
    // One that is gone from the list (deleted, or past the first page) still shows as chosen.
    if (value.id && !data.some((o) => o.value === value.id))
      data.push({ value: value.id, label: options.loading ? '…' : t('destination.missing') });
    which = (
      <Select
        label={t(`destination.which.${value.kind}`)}
        placeholder={t('destination.choose')}
        data={data}
        value={value.id ?? null}
        onChange={(id) => onChange({ kind: value.kind, ...(id ? { id } : {}) })}
        searchable
        allowDeselect={false}
        nothingFoundMessage={t('destination.nothingFound')}
        error={partError}
      />
    );
  } else if (value?.kind === 'number') {
    which = (
      <TextInput
        label={t('destination.which.number')}
        inputMode="tel"
        autoComplete="off"
        value={value.number ?? ''}
        onChange={(e) => onChange({ kind: 'number', number: e.currentTarget.value.replace(/[\s()-]/g, '') })}
        error={partError}
      />
    );
  } else if (value?.kind === 'hangup') {
    which = (
      <Select
        label={t('destination.which.hangup')}
        data={HANGUP_CAUSES.map((c) => ({ value: c, label: t(`destination.causes.${c}`) }))}
        value={value.cause ?? null}
        onChange={(c) => c && onChange({ kind: 'hangup', cause: c as HangupCause })}
        allowDeselect={false}
        error={partError}
      />
    );
  }
  const describedBy = [description ? descriptionId : null, wholeError ? errorId : null].filter(Boolean);
  return (
    <Fieldset
      legend={label}
      p={{ base: 'xs', sm: 'sm' }}
      aria-describedby={describedBy.length ? describedBy.join(' ') : undefined}
    >
      {description ? (
        <Text size="xs" c="dimmed" id={descriptionId} mb="xs">
          {description}
        </Text>
      ) : null}
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs" verticalSpacing="xs">
        <Select
          label={t('destination.kind')}
          placeholder={t('destination.choose')}
          data={kinds}
          value={kind}
          allowDeselect={false}
          onChange={(k) => {
            if (!k || k === kind) return;
            onChange(k === NONE ? null : blank(k as DestinationKind));
          }}
        />
        {which}
      </SimpleGrid>
      <FieldErrorText id={errorId} mt={6}>
        {wholeError}
      </FieldErrorText>
    </Fieldset>
  );
}
