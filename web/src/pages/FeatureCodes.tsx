/**
 * Feature codes of the tenant: every feature with its code and how to dial it,
 * in the user's language. An admin changes a code in place (Enter or Save) or
 * puts it back to the default; a code that clashes with another is refused by the
 * server, and the error shows at the row being saved — and, when the server names
 * the other feature, a note at that row too. Each row shows the default code;
 * "Reset to default" shows only on a code the tenant changed. Supervisors see the
 * same, read-only. Features this build has no words for (a newer server) still
 * show, by the server's label.
 */
import {
  Alert,
  Button,
  Code,
  Group,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, unwrap } from '../api/client';
import type { FeatureCodesPatch, Me, ResponseOf, Tenant } from '../api/types';
import { FieldErrorText, ProblemAlert } from '../components/Problem';
import { callsEn } from '../i18n/calls';

type FeatureCodeList = ResponseOf<'/api/v1/tenants/{tenantId}/feature-codes', 'get'>;

type Known = keyof typeof callsEn.featureCodes.features;
const isKnown = (f: string): f is Known => Object.hasOwn(callsEn.featureCodes.features, f);

/** What a code may hold: * # and digits, at most 8 keys (the server checks the rest). */
const keysOnly = (typed: string) => typed.replace(/[^0-9*#]/g, '').slice(0, 8);

/** `labels`: the server's name of each feature, for those this build has no words for. */
function useFeatureText(labels: Record<string, string>) {
  const { t } = useTranslation();
  return {
    name: (f: string) => (isKnown(f) ? t(`featureCodes.features.${f}.name`) : (labels[f] ?? f)),
    /** How to dial `f`, with its code and the others' (forwardOn names forwardOff's). */
    howTo: (f: string, codes: Record<string, string>) =>
      isKnown(f)
        ? t(`featureCodes.features.${f}.howTo` as 'featureCodes.unknownHowTo', {
            ...codes,
            code: codes[f] ?? '',
          })
        : t('featureCodes.unknownHowTo', { code: codes[f] ?? '' }),
  };
}

interface Change {
  feature: string;
  /** null: back to the default. */
  code: string | null;
}

function CodeRow({
  feature,
  code,
  defaultCode,
  changed,
  codes,
  labels,
  canWrite,
  draft,
  onDraft,
  onSave,
  saving,
  error,
  clashWith,
  saved,
}: {
  feature: string;
  code: string;
  defaultCode: string;
  /** The tenant set its own code: it may go back to the default. */
  changed: boolean;
  codes: Record<string, string>;
  labels: Record<string, string>;
  canWrite: boolean;
  draft: string | undefined;
  onDraft: (code: string) => void;
  onSave: (change: Change) => void;
  saving: 'code' | 'reset' | null;
  /** The server's refusal of this row's change. */
  error: string | undefined;
  /** The feature whose change clashed with this row's code. */
  clashWith: string | null;
  saved: boolean;
}) {
  const { t } = useTranslation();
  const text = useFeatureText(labels);
  const formId = useId();
  const name = text.name(feature);
  const value = draft ?? code;
  const dirty = draft !== undefined && draft !== code;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dirty) onSave({ feature, code: value });
  };
  return (
    <Table.Tr data-feature={feature}>
      <Table.Th scope="row" fw={600}>
        {name}
      </Table.Th>
      <Table.Td>
        {canWrite ? (
          <form id={formId} onSubmit={submit} noValidate>
            <TextInput
              aria-label={t('featureCodes.codeOf', { feature: name })}
              value={value}
              onChange={(e) => onDraft(keysOnly(e.currentTarget.value))}
              onKeyDown={(e) => {
                if (e.key === 'Escape' && dirty) {
                  e.stopPropagation();
                  onDraft(code);
                }
              }}
              autoComplete="off"
              inputMode="tel"
              w={120}
              error={error}
              styles={{
                input: { fontFamily: 'var(--mantine-font-family-monospace)' },
                error: { width: 'max-content', maxWidth: 260, whiteSpace: 'normal' },
              }}
            />
          </form>
        ) : (
          <Code fz="sm">{code}</Code>
        )}
        <FieldErrorText>
          {clashWith ? t('featureCodes.clashWith', { feature: text.name(clashWith) }) : undefined}
        </FieldErrorText>
      </Table.Td>
      <Table.Td>
        <Code fz="sm" c={changed ? 'dimmed' : undefined}>
          {defaultCode}
        </Code>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{text.howTo(feature, codes)}</Text>
      </Table.Td>
      {canWrite ? (
        <Table.Td>
          <Group gap={4} wrap="nowrap" justify="flex-end">
            {dirty ? (
              <Button
                type="submit"
                form={formId}
                size="xs"
                loading={saving === 'code'}
                aria-label={t('featureCodes.saveNamed', { feature: name })}
              >
                {t('common.save')}
              </Button>
            ) : null}
            {saved && !dirty ? (
              <Text size="xs" c="teal" role="status">
                {t('common.saved')}
              </Text>
            ) : null}
            {changed ? (
              <Button
                size="xs"
                variant="subtle"
                loading={saving === 'reset'}
                onClick={() => onSave({ feature, code: null })}
                aria-label={t('featureCodes.resetNamed', { feature: name })}
              >
                {t('featureCodes.reset')}
              </Button>
            ) : null}
          </Group>
        </Table.Td>
      ) : null}
    </Table.Tr>
  );
}

export default function FeatureCodes({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const canWrite = me.role === 'tenant_admin' || me.role === 'operator';
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['feature-codes', tenantId],
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/feature-codes', { params: { path: { tenantId } } })),
  });
  const save = useMutation({
    mutationFn: ({ feature, code }: Change) =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}', {
          params: { path: { tenantId } },
          // A feature this build does not know is still one the server does.
          body: { featureCodes: { [feature]: code } as FeatureCodesPatch },
        }),
      ),
    onSuccess: (after: Tenant, { feature }) => {
      client.setQueryData(['tenant', tenantId], after);
      // The new codes at once; whether each is changed, as the server says on the re-read.
      const now = after.featureCodes as Record<string, string>;
      client.setQueryData<FeatureCodeList>(['feature-codes', tenantId], (old) =>
        old?.map((c) => {
          const code = now[c.feature] ?? c.code;
          return { ...c, code, changed: code !== c.defaultCode };
        }),
      );
      void client.invalidateQueries({ queryKey: ['tenant', tenantId] });
      void client.invalidateQueries({ queryKey: ['feature-codes', tenantId] });
      setDrafts(({ [feature]: _, ...rest }) => rest);
      setSaved(feature);
    },
  });
  const rows = list.data ?? [];
  const codes = Object.fromEntries(rows.map((c) => [c.feature, c.code]));
  const labels = Object.fromEntries(rows.map((c) => [c.feature, c.label]));
  const failed = save.isError ? save.variables : undefined;
  const problem = save.error instanceof ApiProblem ? save.error : null;
  const codeProblem = problem?.field?.startsWith('featureCodes.') ? problem : null;
  return (
    <Stack>
      <Title order={2}>{t('featureCodes.title')}</Title>
      <Text c="dimmed">{t('featureCodes.intro')}</Text>
      {canWrite ? null : (
        <Alert color="gray" role="status">
          {t('featureCodes.readOnly')}
        </Alert>
      )}
      <ProblemAlert error={list.error} />
      <ProblemAlert error={save.error} fields={['featureCodes.*']} />
      {list.data ? (
        <Table.ScrollContainer minWidth={canWrite ? 860 : 660}>
          <Table striped verticalSpacing="sm" aria-label={t('featureCodes.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('featureCodes.feature')}</Table.Th>
                <Table.Th>{t('featureCodes.code')}</Table.Th>
                <Table.Th>{t('featureCodes.defaultCode')}</Table.Th>
                <Table.Th>{t('featureCodes.howTo')}</Table.Th>
                {canWrite ? (
                  <Table.Th>
                    <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                  </Table.Th>
                ) : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map(({ feature, code, defaultCode, changed }) => (
                <CodeRow
                  key={feature}
                  feature={feature}
                  code={code}
                  defaultCode={defaultCode}
                  changed={changed}
                  codes={codes}
                  labels={labels}
                  canWrite={canWrite}
                  draft={drafts[feature]}
                  onDraft={(c) => {
                    setDrafts((d) => ({ ...d, [feature]: c }));
                    setSaved(null);
                    if (save.isError) save.reset();
                  }}
                  onSave={(change) => {
                    setSaved(null);
                    save.mutate(change);
                  }}
                  saving={
                    save.isPending && save.variables.feature === feature
                      ? save.variables.code === null
                        ? 'reset'
                        : 'code'
                      : null
                  }
                  error={failed?.feature === feature && codeProblem ? codeProblem.message : undefined}
                  clashWith={
                    failed &&
                    failed.feature !== feature &&
                    (codeProblem?.field === `featureCodes.${feature}` ||
                      codeProblem?.problem.relatedField === `featureCodes.${feature}`)
                      ? failed.feature
                      : null
                  }
                  saved={saved === feature}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}
