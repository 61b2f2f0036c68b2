/**
 * Sign-in: email and password, then — only if the account has 2FA on, which the
 * server says with TOTP_REQUIRED — the authenticator code. Errors appear next to
 * the field the server names.
 */
import {
  Button,
  Center,
  Group,
  Paper,
  PasswordInput,
  PinInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, unwrap } from '../api/client';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { fieldError, ProblemAlert } from '../components/Problem';
import { ME_KEY } from '../session';

export default function SignIn() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totpCode, setTotpCode] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const signIn = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/auth/login', {
          body: { email, password, ...(needTotp && totpCode ? { totpCode } : {}) },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ME_KEY }),
    onError: (e) => {
      if (e instanceof ApiProblem && e.code === 'TOTP_REQUIRED') setNeedTotp(true);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  const totpAsked = signIn.error instanceof ApiProblem && signIn.error.code === 'TOTP_REQUIRED';
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={400} radius="md">
        <form onSubmit={submit} noValidate>
          <Stack>
            <Group justify="space-between" align="flex-start">
              <div>
                <Title order={1} size="h2">
                  {t('signIn.title')}
                </Title>
                <Text c="dimmed" size="sm">
                  {t('app.name')} — {t('signIn.subtitle')}
                </Text>
              </div>
              <LanguageSwitch />
            </Group>
            <ProblemAlert
              error={totpAsked ? null : signIn.error}
              fields={['email', 'password', 'totpCode']}
            />
            <TextInput
              label={t('signIn.email')}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={fieldError(signIn.error, 'email')}
              autoFocus
            />
            <PasswordInput
              label={t('signIn.password')}
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldError(signIn.error, 'password')}
            />
            {needTotp ? (
              <Stack gap={4}>
                <Text size="sm" fw={500} id="totp-label">
                  {t('signIn.totp')}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('signIn.totpHint')}
                </Text>
                <PinInput
                  length={6}
                  type="number"
                  oneTimeCode
                  value={totpCode}
                  onChange={setTotpCode}
                  aria-labelledby="totp-label"
                  error={!totpAsked && !!fieldError(signIn.error, 'totpCode')}
                  autoFocus
                />
                {!totpAsked && fieldError(signIn.error, 'totpCode') ? (
                  <Text size="xs" c="red" role="alert">
                    {fieldError(signIn.error, 'totpCode')}
                  </Text>
                ) : null}
              </Stack>
            ) : null}
            <Button type="submit" loading={signIn.isPending} fullWidth>
              {t('signIn.submit')}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
