/**
 * Keeps the softphone registered while the portal is open, whatever page is
 * shown: fetches the user's softphone credentials, registers the first own
 * extension, renews the credentials before they expire, and shows an incoming
 * call on every page (with a system notification when the tab is hidden).
 */
import { Affix, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { type PhoneState, Softphone } from './phone';

interface SoftphoneContext {
  phone: Softphone | null;
  number: string | null;
}

const Ctx = createContext<SoftphoneContext>({ phone: null, number: null });

export function useSoftphone(): SoftphoneContext {
  return useContext(Ctx);
}

const OFF: PhoneState = { registration: 'off', error: null, call: null };

export function usePhoneState(phone: Softphone | null): PhoneState {
  return useSyncExternalStore(phone?.subscribe ?? (() => () => {}), phone?.snapshot ?? (() => OFF));
}

/** This server's own /sip, unless the server names another (NIMBUS_SOFTPHONE_WS_URL: Kamailio for a cluster). */
function sipServer(configured: string | null | undefined): string {
  if (configured) return configured;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sip`;
}

function IncomingBanner({ phone }: { phone: Softphone }) {
  const { t } = useTranslation();
  const state = usePhoneState(phone);
  const where = useLocation();
  const navigate = useNavigate();
  const call = state.call;
  if (call?.direction !== 'in' || call.state !== 'ringing' || where.pathname === '/phone') return null;
  const who = call.peerName ? `${call.peerName} (${call.peer})` : call.peer;
  return (
    <Affix position={{ top: 64, right: 16 }} zIndex={300}>
      <Paper shadow="lg" p="md" withBorder role="alertdialog" aria-label={t('phone.incoming')}>
        <Stack gap="xs">
          <Text fw={700}>{t('phone.incoming')}</Text>
          <Text>{t('phone.from', { peer: who })}</Text>
          <Group>
            <Button
              color="green"
              onClick={() => {
                void phone.answer();
                navigate('/phone');
              }}
            >
              {t('phone.answer')}
            </Button>
            <Button color="red" variant="light" onClick={() => void phone.hangup()}>
              {t('phone.decline')}
            </Button>
          </Group>
        </Stack>
      </Paper>
    </Affix>
  );
}

export function SoftphoneProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const { t } = useTranslation();
  const [phone, setPhone] = useState<Softphone | null>(null);
  const creds = useQuery({
    queryKey: ['softphone'],
    enabled,
    queryFn: () => unwrap(api.GET('/api/v1/auth/softphone')),
    // Renew well before the credentials run out; they last as long as the session.
    refetchInterval: 30 * 60_000,
    staleTime: 10 * 60_000,
  });
  const ext = creds.data?.extensions[0];
  const domain = creds.data?.sipDomain ?? null;
  const server = sipServer(creds.data?.server);

  useEffect(() => {
    if (!enabled || !ext || !domain) return;
    setPhone((p) => p ?? new Softphone());
  }, [enabled, ext, domain]);

  useEffect(() => {
    if (!phone || !ext || !domain) return;
    void phone.start({
      number: ext.number,
      displayName: ext.displayName,
      domain,
      username: ext.username,
      password: ext.password,
      server,
    });
  }, [phone, ext, domain, server]);

  useEffect(() => {
    if (!phone) return;
    phone.onIncoming = (call) => {
      if (!document.hidden || typeof Notification === 'undefined' || Notification.permission !== 'granted')
        return;
      const n = new Notification(t('phone.notifyTitle'), {
        body: t('phone.notifyBody', { peer: call.peerName || call.peer }),
        tag: 'nimbus-incoming-call',
        requireInteraction: true,
      });
      n.onclick = () => {
        window.focus();
        n.close();
      };
    };
    return () => {
      phone.onIncoming = null;
    };
  }, [phone, t]);

  useEffect(() => () => void phone?.stop(), [phone]);

  return (
    <Ctx.Provider value={{ phone, number: ext?.number ?? null }}>
      {children}
      {phone ? <IncomingBanner phone={phone} /> : null}
    </Ctx.Provider>
  );
}
