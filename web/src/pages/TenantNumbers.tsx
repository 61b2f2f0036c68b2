/**
 * The tenant's public numbers: each with the inbound route its calls take, or
 * "not routed" with a link that opens a new inbound route for it. Below, the
 * tenant's outbound-calling settings: the default caller ID (one of these
 * numbers) and the prefixes that count as local calls. Supervisors read both.
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { Me, Tenant, TenantNumber } from '../api/types';
import {
  callerIdOf,
  callerIdOptions,
  callerIdValue,
  useTenant,
  useTenantNumbers,
} from '../components/OutboundCalling';
import { fieldError, fieldErrorWithin, ProblemAlert } from '../components/Problem';

/** "+7 495, +7499" → ["+7495", "+7499"]: one prefix per line (or comma), spaces dropped. */
function parsePrefixes(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((p) => p.replace(/[\s()-]/g, ''))
    .filter((p) => p !== '');
}

function CallingSettings({
  tenant,
  numbers,
  canWrite,
}: {
  tenant: Tenant;
  numbers: readonly TenantNumber[];
  canWrite: boolean;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const headingId = useId();
  const [callerId, setCallerId] = useState<string | null>(tenant.defaultCallerId);
  const [prefixes, setPrefixes] = useState(tenant.localPrefixes.join('\n'));
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}', {
          params: { path: { tenantId: tenant.id } },
          body: { defaultCallerId: callerId, localPrefixes: parsePrefixes(prefixes) },
        }),
      ),
    onSuccess: (after) => {
      client.setQueryData(['tenant', tenant.id], after);
      setPrefixes(after.localPrefixes.join('\n'));
      setSaved(true);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    save.mutate();
  };
  const first = numbers[0]?.number;
  return (
    <Stack component="section" aria-labelledby={headingId} gap="sm">
      <Title order={3} id={headingId}>
        {t('tenantNumbers.settings')}
      </Title>
      {canWrite ? null : (
        <Text size="sm" c="dimmed">
          {t('tenantNumbers.readOnly')}
        </Text>
      )}
      <form onSubmit={submit} noValidate>
        <Stack gap="sm" maw={520}>
          <ProblemAlert error={save.error} fields={['defaultCallerId', 'localPrefixes.*']} />
          <Select
            label={t('tenantNumbers.defaultCallerId')}
            description={t('tenantNumbers.defaultCallerIdHint')}
            data={callerIdOptions(numbers, callerId, {
              none: first ? `${t('tenantNumbers.defaultFirst')} (${first})` : t('tenantNumbers.defaultFirst'),
            })}
            value={callerIdValue(callerId)}
            onChange={(v) => {
              setSaved(false);
              setCallerId(callerIdOf(v));
            }}
            allowDeselect={false}
            disabled={!canWrite}
            error={fieldError(save.error, 'defaultCallerId')}
          />
          <Textarea
            label={t('tenantNumbers.localPrefixes')}
            description={t('tenantNumbers.localPrefixesHint')}
            autosize
            minRows={2}
            maxRows={8}
            spellCheck={false}
            value={prefixes}
            onChange={(e) => {
              setSaved(false);
              setPrefixes(e.currentTarget.value);
            }}
            readOnly={!canWrite}
            error={fieldErrorWithin(save.error, 'localPrefixes')}
          />
          {canWrite ? (
            <Group gap="sm">
              <Button type="submit" loading={save.isPending}>
                {t('common.save')}
              </Button>
              {saved ? (
                <Text size="sm" c="teal" role="status">
                  {t('common.saved')}
                </Text>
              ) : null}
            </Group>
          ) : null}
        </Stack>
      </form>
    </Stack>
  );
}

export default function TenantNumbers({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tenantId = me.tenantId!;
  const canWrite = me.role === 'tenant_admin' || me.role === 'operator';
  const numbers = useTenantNumbers(tenantId);
  const tenant = useTenant(tenantId);
  const items = numbers.data ?? [];
  return (
    <Stack gap="xl">
      <Stack>
        <Title order={2}>{t('tenantNumbers.title')}</Title>
        <Text size="sm" c="dimmed">
          {t('tenantNumbers.intro')}
        </Text>
        <ProblemAlert error={numbers.error ?? tenant.error} />
        {numbers.data && items.length === 0 ? (
          <Alert color="gray" role="status">
            {t('tenantNumbers.empty')}
          </Alert>
        ) : null}
        {items.length > 0 ? (
          <Table.ScrollContainer minWidth={480}>
            <Table striped aria-label={t('tenantNumbers.title')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('tenantNumbers.number')}</Table.Th>
                  <Table.Th>{t('tenantNumbers.inboundRoute')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((n) => (
                  <Table.Tr key={n.number} data-number={n.number}>
                    <Table.Th scope="row" fw={600} style={{ whiteSpace: 'nowrap' }}>
                      {n.number}
                    </Table.Th>
                    <Table.Td>
                      {n.inboundRoute ? (
                        <Anchor component={Link} to="/inbound-routes" size="sm">
                          {n.inboundRoute.name}
                        </Anchor>
                      ) : (
                        <Group gap="sm">
                          <Badge color="orange" variant="light">
                            {t('tenantNumbers.notRouted')}
                          </Badge>
                          {canWrite ? (
                            <Anchor
                              component={Link}
                              to={`/inbound-routes?number=${encodeURIComponent(n.number)}`}
                              size="sm"
                              aria-label={t('tenantNumbers.createRouteFor', { number: n.number })}
                            >
                              {t('tenantNumbers.createRoute')}
                            </Anchor>
                          ) : null}
                        </Group>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
      {tenant.data && numbers.data ? (
        <CallingSettings tenant={tenant.data} numbers={items} canWrite={canWrite} />
      ) : null}
    </Stack>
  );
}
