/**
 * Everything a phone needs to register as one extension: account, domain, the
 * node's transports, and a QR code of the account for mobile softphones. The SIP
 * password appears only right after it was made (creation or reset).
 */
import { Code, Image, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { ProblemAlert } from './Problem';

/**
 * The account as a SIP URI with its password in the userinfo (RFC 3261 §19.1.1
 * allows it, deprecated for display but understood by importers), the outbound
 * proxy and transport as URI parameters: what softphones that import from a QR
 * code read. Without a password the code still carries user, domain and proxy.
 */
export function accountUri(o: {
  number: string;
  secret?: string | undefined;
  domain: string;
  proxy?: string;
}) {
  const user = encodeURIComponent(o.number);
  const pass = o.secret ? `:${encodeURIComponent(o.secret)}` : '';
  return `sip:${user}${pass}@${o.domain}${o.proxy ? `;proxy=${encodeURIComponent(o.proxy)}` : ''}`;
}

export function ProvisioningCard({
  tenantId,
  number,
  secret,
}: {
  tenantId: string;
  number: string;
  secret?: string | undefined;
}) {
  const { t } = useTranslation();
  const info = useQuery({
    queryKey: ['provisioning', tenantId],
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/provisioning', { params: { path: { tenantId } } })),
  });
  const preferred = info.data?.transports.find((x) => x.transport === 'tcp') ?? info.data?.transports[0];
  const qr = useQuery({
    queryKey: ['qr', tenantId, number, secret ?? '', preferred?.uri ?? ''],
    enabled: !!info.data,
    queryFn: () =>
      QRCode.toDataURL(
        accountUri({
          number,
          secret,
          domain: info.data!.sipDomain,
          ...(preferred ? { proxy: preferred.uri } : {}),
        }),
        { margin: 1, width: 220, errorCorrectionLevel: 'M' },
      ),
  });
  if (info.isError) return <ProblemAlert error={info.error} />;
  if (!info.data) return <Text c="dimmed">{t('common.loading')}</Text>;
  return (
    <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
      <Stack gap="xs">
        <Table variant="vertical" withTableBorder>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th>{t('provisioning.username')}</Table.Th>
              <Table.Td>
                <Code>{number}</Code>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>{t('provisioning.password')}</Table.Th>
              <Table.Td>
                {secret ? (
                  <Code data-testid="sip-secret">{secret}</Code>
                ) : (
                  <Text size="sm" c="dimmed">
                    {t('provisioning.hidden')}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>{t('provisioning.domain')}</Table.Th>
              <Table.Td>
                <Code>{info.data.sipDomain}</Code>
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        <Text size="sm" fw={500}>
          {t('provisioning.transports')}
        </Text>
        <Stack gap={2}>
          {info.data.transports.map((x) => (
            <Code key={x.transport}>{x.uri}</Code>
          ))}
        </Stack>
      </Stack>
      <Stack align="center" gap={4}>
        {qr.data ? <Image src={qr.data} alt={t('provisioning.qrLabel')} w={220} h={220} /> : null}
        <Text size="xs" c="dimmed">
          {t('provisioning.qr')}
        </Text>
      </Stack>
    </SimpleGrid>
  );
}
