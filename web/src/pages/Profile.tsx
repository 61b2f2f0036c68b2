/**
 * My settings: the signed-in user's name and language, password, two-factor
 * sign-in, and — for a user of a tenant — Do-Not-Disturb and call forwarding of
 * the extensions they own, with a link to the rest of their call handling
 * (status, follow-me, secretary). An API key has none of these, so it only gets a note.
 */
import {
  Alert,
  Anchor,
  Button,
  Code,
  CopyButton,
  Group,
  Image,
  NumberInput,
  Paper,
  PasswordInput,
  PinInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { BodyOf, Extension, Me, ResponseOf } from '../api/types';
import {
  FORWARDING_FIELDS,
  type Forwarding,
  ForwardingEditor,
  type ForwardingRule,
} from '../components/ForwardingEditor';
import { fieldError, ProblemAlert } from '../components/Problem';
import { LANGUAGES, type Language, setLanguage } from '../i18n';
import { ME_KEY } from '../session';

type User = NonNullable<Me['user']>;
type ExtensionPage = ResponseOf<'/api/v1/tenants/{tenantId}/extensions', 'get'>;
type ExtensionPatch = BodyOf<'/api/v1/tenants/{tenantId}/extensions/{id}', 'patch'>;
/** A titled block of the page. */
function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <Paper withBorder p={{ base: 'sm', sm: 'md' }} component="section" aria-labelledby={id}>
      <Stack>
        <Title order={3} size="h4" id={id}>
          {title}
        </Title>
        {children}
      </Stack>
    </Paper>
  );
}

/** "Saved" (or another confirmation) announced to screen readers as well. */
function Done({ children }: { children: ReactNode }) {
  return (
    <Text size="sm" c="teal" role="status">
      {children}
    </Text>
  );
}

/** The signed-in user as the server answers after a change: put into the session, then re-read. */
function useUserChanged() {
  const client = useQueryClient();
  return (user: User) => {
    client.setQueryData<Me | null>(ME_KEY, (old) => (old ? { ...old, user } : old));
    void client.invalidateQueries({ queryKey: ME_KEY });
  };
}

function Account({ user }: { user: User }) {
  const { t } = useTranslation();
  const userChanged = useUserChanged();
  // Drafts: undefined = untouched, so the fields follow the account (the header's language switch changes it too).
  const [nameDraft, setNameDraft] = useState<string | undefined>(undefined);
  const [languageDraft, setLanguageDraft] = useState<Language | undefined>(undefined);
  const displayName = nameDraft ?? user.displayName;
  const language = languageDraft ?? user.language;
  const save = useMutation({
    mutationFn: () => {
      const body: BodyOf<'/api/v1/auth/me', 'patch'> = {};
      if (displayName !== user.displayName) body.displayName = displayName;
      if (language !== user.language) body.language = language;
      return unwrap(api.PATCH('/api/v1/auth/me', { body }));
    },
    onSuccess: (after) => {
      if (after.language && after.language !== user.language) setLanguage(after.language);
      setNameDraft(undefined);
      setLanguageDraft(undefined);
      userChanged(after);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const edited = () => {
    if (save.isSuccess || save.isError) save.reset();
  };
  return (
    <Section title={t('profile.account')}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <ProblemAlert error={save.error} fields={['displayName', 'language']} />
          <TextInput label={t('signIn.email')} value={user.email} readOnly variant="filled" />
          <TextInput
            label={t('profile.displayName')}
            autoComplete="name"
            value={displayName}
            maxLength={100}
            onChange={(e) => {
              setNameDraft(e.currentTarget.value);
              edited();
            }}
            error={fieldError(save.error, 'displayName')}
          />
          <Select
            label={t('profile.language')}
            placeholder={t('profile.languageDefault')}
            data={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
            value={language}
            allowDeselect={false}
            onChange={(v) => {
              if (v === 'en' || v === 'ru') setLanguageDraft(v);
              edited();
            }}
            error={fieldError(save.error, 'language')}
          />
          <Group>
            <Button type="submit" loading={save.isPending}>
              {t('common.save')}
            </Button>
            {save.isSuccess ? <Done>{t('common.saved')}</Done> : null}
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

function Password({ user }: { user: User }) {
  const { t } = useTranslation();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/password', { body: { currentPassword, newPassword } })),
    onSuccess: () => {
      setCurrentPassword('');
      setNewPassword('');
      setAgain('');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (newPassword !== again) {
      setMismatch(true);
      return;
    }
    change.mutate();
  };
  const edited = () => {
    setMismatch(false);
    if (change.isSuccess) change.reset();
  };
  return (
    <Section title={t('profile.password')}>
      <form onSubmit={submit} noValidate>
        <Stack>
          {/* For password managers: which account the new password belongs to. */}
          <input type="text" name="username" autoComplete="username" value={user.email} readOnly hidden />
          <ProblemAlert error={change.error} fields={['currentPassword', 'newPassword']} />
          <PasswordInput
            label={t('profile.currentPassword')}
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(e) => {
              setCurrentPassword(e.currentTarget.value);
              edited();
            }}
            error={fieldError(change.error, 'currentPassword')}
          />
          <PasswordInput
            label={t('profile.newPassword')}
            description={t('profile.newPasswordHint')}
            autoComplete="new-password"
            required
            value={newPassword}
            onChange={(e) => {
              setNewPassword(e.currentTarget.value);
              edited();
            }}
            error={fieldError(change.error, 'newPassword')}
          />
          <PasswordInput
            label={t('profile.confirmPassword')}
            autoComplete="new-password"
            required
            value={again}
            onChange={(e) => {
              setAgain(e.currentTarget.value);
              edited();
            }}
            error={mismatch ? t('profile.passwordsDiffer') : undefined}
          />
          <Group>
            <Button type="submit" loading={change.isPending}>
              {t('profile.changePassword')}
            </Button>
            {change.isSuccess ? <Done>{t('profile.passwordChanged')}</Done> : null}
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

/** The new secret as a QR code and as text, and the code that proves the app has it. */
function TotpConfirm({
  setup,
  onDone,
  onCancel,
}: {
  setup: ResponseOf<'/api/v1/auth/totp/setup', 'post'>;
  onDone: (user: User) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const labelId = useId();
  const errorId = useId();
  const [code, setCode] = useState('');
  const qr = useQuery({
    queryKey: ['totp-qr', setup.otpauthUri],
    queryFn: () => QRCode.toDataURL(setup.otpauthUri, { margin: 1, width: 200, errorCorrectionLevel: 'M' }),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const enable = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/totp/enable', { body: { code } })),
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    enable.mutate();
  };
  const codeError = fieldError(enable.error, 'code');
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">{t('profile.twoFactorScan')}</Text>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
          <Stack align="center" gap={4}>
            {qr.data ? (
              <Image src={qr.data} alt={t('profile.twoFactorQrLabel')} w={200} h={200} />
            ) : (
              <ProblemAlert error={qr.error} />
            )}
          </Stack>
          <Stack gap="xs">
            <Text size="sm">{t('profile.twoFactorSecret')}</Text>
            <Code block style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="totp-secret">
              {setup.secret.replace(/(.{4})(?=.)/g, '$1 ')}
            </Code>
            <CopyButton value={setup.secret}>
              {({ copied, copy }) => (
                <Button size="xs" variant="light" onClick={copy} w="fit-content">
                  {copied ? t('profile.copied') : t('profile.copy')}
                </Button>
              )}
            </CopyButton>
          </Stack>
        </SimpleGrid>
        <ProblemAlert error={enable.error} fields={['code']} />
        <Stack gap={4}>
          <Text size="sm" fw={500} id={labelId}>
            {t('profile.twoFactorCode')}
          </Text>
          <PinInput
            length={6}
            type="number"
            oneTimeCode
            value={code}
            onChange={(v) => {
              setCode(v);
              if (enable.isError) enable.reset();
            }}
            aria-labelledby={labelId}
            getInputProps={(i) => ({
              'aria-label': t('profile.twoFactorDigit', { n: i + 1, total: 6 }),
              ...(codeError ? { 'aria-describedby': errorId } : {}),
            })}
            error={!!codeError}
          />
          {codeError ? (
            <Text size="xs" c="red" id={errorId}>
              {codeError}
            </Text>
          ) : null}
        </Stack>
        <Group>
          <Button type="submit" loading={enable.isPending} disabled={code.length !== 6}>
            {t('profile.twoFactorEnable')}
          </Button>
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function TwoFactor({ user }: { user: User }) {
  const { t } = useTranslation();
  const userChanged = useUserChanged();
  const [password, setPassword] = useState('');
  const [changed, setChanged] = useState<'on' | 'off' | null>(null);
  const setup = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/totp/setup')),
    onSuccess: () => setChanged(null),
  });
  const disable = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/totp/disable', { body: { password } })),
    onSuccess: (after) => {
      setPassword('');
      setChanged('off');
      setup.reset();
      userChanged(after);
    },
  });
  const turnOff = (e: FormEvent) => {
    e.preventDefault();
    disable.mutate();
  };

  let body: ReactNode;
  if (user.totpEnabled) {
    body = (
      <form onSubmit={turnOff} noValidate>
        <Stack>
          <Text size="sm">{t('profile.twoFactorOn')}</Text>
          <ProblemAlert error={disable.error} fields={['password']} />
          <input type="text" name="username" autoComplete="username" value={user.email} readOnly hidden />
          <PasswordInput
            label={t('signIn.password')}
            description={t('profile.twoFactorDisableHint')}
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => {
              setPassword(e.currentTarget.value);
              if (disable.isError) disable.reset();
            }}
            error={fieldError(disable.error, 'password')}
          />
          <Group>
            <Button type="submit" color="red" variant="light" loading={disable.isPending}>
              {t('profile.twoFactorDisable')}
            </Button>
          </Group>
        </Stack>
      </form>
    );
  } else if (setup.data) {
    body = (
      <TotpConfirm
        setup={setup.data}
        onCancel={() => setup.reset()}
        onDone={(after) => {
          setup.reset();
          setChanged('on');
          userChanged(after);
        }}
      />
    );
  } else {
    body = (
      <Stack>
        <Text size="sm">{t('profile.twoFactorOff')}</Text>
        <ProblemAlert error={setup.error} />
        <Group>
          <Button onClick={() => setup.mutate()} loading={setup.isPending}>
            {t('profile.twoFactorSetup')}
          </Button>
        </Group>
      </Stack>
    );
  }
  return (
    <Section title={t('profile.twoFactor')}>
      {changed === 'on' && user.totpEnabled ? <Done>{t('profile.twoFactorEnabled')}</Done> : null}
      {changed === 'off' && !user.totpEnabled ? <Done>{t('profile.twoFactorDisabled')}</Done> : null}
      {body}
    </Section>
  );
}

/** Replaces one extension in every cached page of "my extensions". */
function useExtensionChanged(tenantId: string) {
  const client = useQueryClient();
  return (ext: Extension) => {
    client.setQueriesData<ExtensionPage>({ queryKey: ['extensions', tenantId, 'mine'] }, (old) =>
      old ? { ...old, items: old.items.map((x) => (x.id === ext.id ? ext : x)) } : old,
    );
    void client.invalidateQueries({ queryKey: ['extensions', tenantId] });
  };
}

function patchExtension(tenantId: string, id: string, body: ExtensionPatch) {
  return unwrap(
    api.PATCH('/api/v1/tenants/{tenantId}/extensions/{id}', { params: { path: { tenantId, id } }, body }),
  );
}

function MyExtension({ tenantId, ext, canEdit }: { tenantId: string; ext: Extension; canEdit: boolean }) {
  const { t } = useTranslation();
  const changed = useExtensionChanged(tenantId);
  const [forwarding, setForwarding] = useState<Forwarding>(ext.forwarding);
  const [ringTimeout, setRingTimeout] = useState<number | string>(ext.ringTimeoutSec);
  const dnd = useMutation({
    mutationFn: (on: boolean) => patchExtension(tenantId, ext.id, { dnd: on }),
    onSuccess: changed,
  });
  const save = useMutation({
    mutationFn: () =>
      patchExtension(tenantId, ext.id, {
        forwarding,
        ...(typeof ringTimeout === 'number' ? { ringTimeoutSec: ringTimeout } : {}),
      }),
    onSuccess: changed,
  });
  const edited = () => {
    if (save.isSuccess || save.isError) save.reset();
  };
  const setRule = (rule: ForwardingRule, change: Partial<Forwarding[ForwardingRule]>) => {
    setForwarding((f) => ({ ...f, [rule]: { ...f[rule], ...change } }));
    edited();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const fields = ['ringTimeoutSec', ...FORWARDING_FIELDS];
  return (
    <Paper
      withBorder
      p={{ base: 'sm', sm: 'md' }}
      component="article"
      aria-label={t('profile.extensionFor', { number: ext.number })}
    >
      <Stack>
        <Group justify="space-between" gap="xs">
          <Text fw={700} size="lg">
            {ext.number}
            {ext.displayName ? (
              <Text span c="dimmed" fw={400} size="md">
                {' '}
                {ext.displayName}
              </Text>
            ) : null}
          </Text>
          <Switch
            label={t('extensions.dnd')}
            checked={dnd.isPending ? dnd.variables : ext.dnd}
            disabled={!canEdit || dnd.isPending}
            onChange={(e) => dnd.mutate(e.currentTarget.checked)}
            color="orange"
          />
        </Group>
        <ProblemAlert error={dnd.error} />
        {ext.dnd ? (
          <Text size="sm" c="orange" role="status">
            {t('profile.dndOn')}
          </Text>
        ) : null}
        <Anchor component={Link} to="/call-handling" size="sm">
          {t('callHandling.openFromProfile')}
        </Anchor>
        <form onSubmit={submit} noValidate>
          <Stack gap="sm">
            <Title order={4} size="h5">
              {t('profile.forwarding')}
            </Title>
            <ProblemAlert error={save.error} fields={fields} />
            <ForwardingEditor value={forwarding} onChange={setRule} error={save.error} canEdit={canEdit} />
            <NumberInput
              label={t('profile.ringTimeout')}
              value={ringTimeout}
              onChange={(v) => {
                setRingTimeout(v);
                edited();
              }}
              min={5}
              max={300}
              allowDecimal={false}
              allowNegative={false}
              readOnly={!canEdit}
              maw={{ base: '100%', xs: 360 }}
              error={fieldError(save.error, 'ringTimeoutSec')}
            />
            {canEdit ? (
              <Group>
                <Button type="submit" loading={save.isPending}>
                  {t('common.save')}
                </Button>
                {save.isSuccess ? <Done>{t('common.saved')}</Done> : null}
              </Group>
            ) : null}
          </Stack>
        </form>
      </Stack>
    </Paper>
  );
}

function MyExtensions({ tenantId, userId, canEdit }: { tenantId: string; userId: string; canEdit: boolean }) {
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['extensions', tenantId, 'mine', userId],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId }, query: { userId, limit: 200, sort: 'number' } },
        }),
      ),
  });
  return (
    <Section title={t('profile.myExtensions')}>
      <ProblemAlert error={list.error} />
      {list.isPending ? <Text c="dimmed">{t('common.loading')}</Text> : null}
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('profile.noExtensions')}</Text> : null}
      {list.data && list.data.items.length > 0 && !canEdit ? (
        <Text size="sm" c="dimmed">
          {t('profile.readOnly')}
        </Text>
      ) : null}
      {list.data?.items.map((ext) => (
        <MyExtension key={ext.id} tenantId={tenantId} ext={ext} canEdit={canEdit} />
      ))}
    </Section>
  );
}

export default function Profile({ me }: { me: Me }) {
  const { t } = useTranslation();
  const user = me.user;
  return (
    <Stack maw={760}>
      <Title order={2}>{t('profile.title')}</Title>
      {me.kind === 'apiKey' || !user ? (
        <Alert color="blue" role="status">
          {t('profile.apiKeyNote')}
        </Alert>
      ) : (
        <>
          <Account user={user} />
          <Password user={user} />
          <TwoFactor user={user} />
          {me.tenantId ? (
            // Supervisors may read extensions but not change them (src/api/permissions.ts).
            <MyExtensions tenantId={me.tenantId} userId={user.id} canEdit={me.role !== 'supervisor'} />
          ) : null}
        </>
      )}
    </Stack>
  );
}
