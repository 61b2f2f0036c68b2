/**
 * Routes: the sign-in page until someone is signed in, then the frame with the
 * pages of their role. Pages load on demand, so the sign-in page stays small.
 */
import { Button, Center, Loader, Stack, Title } from '@mantine/core';
import { lazy, Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Route, Routes } from 'react-router';
import { ProblemAlert } from './components/Problem';
import { setLanguage } from './i18n';
import { AppLayout } from './layout/AppLayout';
import { homeOf } from './nav';
import SignIn from './pages/SignIn';
import { useMe } from './session';

const Dashboard = lazy(() => import('./pages/Dashboard'));
const Phone = lazy(() => import('./pages/Phone'));
// SIP.js comes with the softphone, after sign-in: the sign-in page stays small.
const SoftphoneProvider = lazy(() =>
  import('./softphone/SoftphoneProvider').then((m) => ({ default: m.SoftphoneProvider })),
);
const Extensions = lazy(() => import('./pages/Extensions'));
const Calls = lazy(() => import('./pages/Calls'));
const Recordings = lazy(() => import('./pages/Recordings'));
const Profile = lazy(() => import('./pages/Profile'));
const Tenants = lazy(() => import('./pages/Tenants'));
const Health = lazy(() => import('./pages/Health'));
const Trunks = lazy(() => import('./pages/Trunks'));
const NumberPool = lazy(() => import('./pages/NumberPool'));
const Rates = lazy(() => import('./pages/Rates'));
const Users = lazy(() => import('./pages/Users'));
const ApiKeys = lazy(() => import('./pages/ApiKeys'));
const Webhooks = lazy(() => import('./pages/Webhooks'));
const Integrations = lazy(() => import('./pages/Integrations'));
const Contacts = lazy(() => import('./pages/Contacts'));
const Audit = lazy(() => import('./pages/Audit'));
const Security = lazy(() => import('./pages/Security'));
const RingGroups = lazy(() => import('./pages/RingGroups'));
const Queues = lazy(() => import('./pages/Queues'));
const IvrMenus = lazy(() => import('./pages/IvrMenus'));
const AudioFiles = lazy(() => import('./pages/AudioFiles'));
const Wallboard = lazy(() => import('./pages/Wallboard'));
const Reports = lazy(() => import('./pages/Reports'));
const Calendars = lazy(() => import('./pages/Calendars'));
const TimeConditions = lazy(() => import('./pages/TimeConditions'));
const InboundRoutes = lazy(() => import('./pages/InboundRoutes'));
const OutboundRoutes = lazy(() => import('./pages/OutboundRoutes'));
const TenantNumbers = lazy(() => import('./pages/TenantNumbers'));
const CallHandling = lazy(() => import('./pages/CallHandling'));
const FeatureCodes = lazy(() => import('./pages/FeatureCodes'));
const Voicemail = lazy(() => import('./pages/Voicemail'));

function Loading() {
  const { t } = useTranslation();
  return (
    <Center p="xl" aria-live="polite">
      <Loader aria-label={t('common.loading')} />
    </Center>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return (
    <Stack align="flex-start">
      <Title order={2}>{t('common.notFound')}</Title>
      <Button component={Link} to="/" variant="light">
        {t('common.back')}
      </Button>
    </Stack>
  );
}

export function App() {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const saved = me.data?.user?.language ?? null;
  // The account's language (also that of its voice prompts) wins over this browser's guess.
  useEffect(() => {
    if (saved && saved !== i18n.language) setLanguage(saved);
  }, [saved, i18n]);
  if (me.isPending) return <Loading />;
  if (me.isError)
    return (
      <Center p="xl">
        <Stack>
          <ProblemAlert error={me.error} />
          <Button onClick={() => me.refetch()}>{t('common.retry')}</Button>
        </Stack>
      </Center>
    );
  if (!me.data) return <SignIn />;
  const user = me.data;
  return (
    <Suspense fallback={<Loading />}>
      <SoftphoneProvider enabled={user.kind === 'user' && user.tenantId !== null}>
        <Routes>
          <Route element={<AppLayout me={user} />}>
            <Route index element={<Navigate to={homeOf(user.role)} replace />} />
            <Route path="dashboard" element={<Dashboard me={user} />} />
            <Route path="phone" element={<Phone me={user} />} />
            <Route path="tenants" element={<Tenants />} />
            <Route path="health" element={<Health />} />
            <Route path="trunks" element={<Trunks />} />
            <Route path="number-pool" element={<NumberPool />} />
            <Route path="rates" element={<Rates />} />
            <Route path="extensions" element={<Extensions me={user} />} />
            <Route path="ring-groups" element={<RingGroups me={user} />} />
            <Route path="queues" element={<Queues me={user} />} />
            <Route path="ivr-menus" element={<IvrMenus me={user} />} />
            <Route path="audio-files" element={<AudioFiles me={user} />} />
            <Route path="wallboard" element={<Wallboard me={user} />} />
            <Route path="reports" element={<Reports me={user} />} />
            <Route path="calendars" element={<Calendars me={user} />} />
            <Route path="time-conditions" element={<TimeConditions me={user} />} />
            <Route path="inbound-routes" element={<InboundRoutes me={user} />} />
            <Route path="outbound-routes" element={<OutboundRoutes me={user} />} />
            <Route path="numbers" element={<TenantNumbers me={user} />} />
            <Route path="feature-codes" element={<FeatureCodes me={user} />} />
            <Route path="call-handling" element={<CallHandling me={user} />} />
            <Route path="extensions/:extensionId/call-handling" element={<CallHandling me={user} />} />
            <Route path="voicemail" element={<Voicemail me={user} />} />
            <Route path="users" element={<Users me={user} />} />
            <Route path="api-keys" element={<ApiKeys me={user} />} />
            <Route path="webhooks" element={<Webhooks me={user} />} />
            <Route path="integrations" element={<Integrations me={user} />} />
            <Route path="contacts" element={<Contacts me={user} />} />
            <Route path="audit" element={<Audit me={user} />} />
            <Route path="security" element={<Security me={user} />} />
            <Route path="calls" element={<Calls me={user} />} />
            <Route path="recordings" element={<Recordings me={user} />} />
            <Route path="profile" element={<Profile me={user} />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </SoftphoneProvider>
    </Suspense>
  );
}
