/**
 * The frame around every signed-in page: a header (name, role, language, sign
 * out) and the navigation of the signed-in role, which folds behind a burger
 * button on a phone screen. A tenant's administrator also gets fraud and limit
 * alerts here, on whatever page is open.
 */
import {
  Anchor,
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Outlet, NavLink as RouterLink, useNavigate } from 'react-router';
import { api } from '../api/client';
import type { Me } from '../api/types';
import { AdminAlerts } from '../components/FraudAlerts';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { navFor } from '../nav';
import { ME_KEY, useSignOut } from '../session';

export function AppLayout({ me }: { me: Me }) {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure(false);
  const signOut = useSignOut();
  const navigate = useNavigate();
  const client = useQueryClient();
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Anchor href="#main" className="skip-link">
          {t('app.skipToContent')}
        </Anchor>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={t('nav.openMenu')}
            />
            <img src="/icon.svg" alt="" width={28} height={28} />
            <Title order={1} size="h4">
              {t('app.name')}
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Badge variant="light" visibleFrom="xs">
              {t(`role.${me.role}`)}
            </Badge>
            <LanguageSwitch
              onChange={(language) => {
                // The user's language also picks their voice prompts: keep the account in step.
                if (me.kind === 'user')
                  void api
                    .PATCH('/api/v1/auth/me', { body: { language } })
                    .then(() => client.invalidateQueries({ queryKey: ME_KEY }));
              }}
            />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label={t('nav.label')}>
        {me.user ? (
          <Text size="sm" c="dimmed" px="sm" pb="xs" truncate>
            {me.user.displayName || me.user.email}
          </Text>
        ) : null}
        {/* The menu scrolls on its own when it is taller than the window (an admin's list is long). */}
        <AppShell.Section grow component={ScrollArea} type="auto">
          {navFor(me.role).map((item) => (
            <NavLink
              key={item.path}
              component={RouterLink}
              to={item.path}
              label={t(item.label)}
              onClick={close}
            />
          ))}
        </AppShell.Section>
        <Button
          variant="subtle"
          mt="xs"
          onClick={async () => {
            await signOut();
            navigate('/');
          }}
        >
          {t('nav.signOut')}
        </Button>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Outlet />
      </AppShell.Main>
      {me.role === 'tenant_admin' && me.tenantId ? <AdminAlerts tenantId={me.tenantId} /> : null}
    </AppShell>
  );
}
