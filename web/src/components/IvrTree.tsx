/**
 * An IVR menu drawn as a tree of nested cards: the greeting at the root, then one
 * branch per way out of the menu — the calendar's closed branch, each key and where
 * it leads, direct dial, and what happens after no key or a wrong one (the replays,
 * then the fallback). A key that leads to another menu of the tenant opens that
 * menu's own tree under it, and so on down; a menu already on the way down is not
 * drawn again ("↩ back to …"), so a sub-menu's "0 back to the main menu" ends the
 * branch. Each sub-menu has a button that opens its editor.
 *
 * The greeting and prompts are named as the caller hears them: an audio file of
 * the tenant by its name, text to speech, or system prompts.
 *
 * Plain nested lists with a line down the left and a tick to each branch: it reads
 * top to bottom in a screen reader and narrows to a phone's width without scrolling.
 */
import { Badge, Box, Button, Group, Paper, Stack, Text } from '@mantine/core';
import type { CSSProperties, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { BodyOf, Destination, ResponseOf } from '../api/types';
import { type RoutingOptions, useDescribeDestination } from './DestinationPicker';

export type IvrMenu = ResponseOf<'/api/v1/tenants/{tenantId}/ivr-menus/{id}', 'get'>;
export type IvrMenuBody = BodyOf<'/api/v1/tenants/{tenantId}/ivr-menus', 'post'>;
export type IvrAudio = IvrMenuBody['greeting'];

/**
 * System prompts a menu may play, in the order the editor offers them: a subset of
 * the server's catalogue (src/media/prompts.ts PROMPTS), which has each in both languages.
 */
export const IVR_PROMPTS = [
  'welcome',
  'main-menu',
  'thank-you',
  'goodbye',
  'please-hold',
  'your-call-is-important',
  'call-recorded',
  'all-operators-busy',
  'call-transferred',
  'office-closed',
  'enter-extension',
  'invalid-choice',
  'please-try-again',
  'to-repeat',
  'to-return-main-menu',
  'to-exit',
  'press',
  'for',
  'num-0',
  'num-1',
  'num-2',
  'num-3',
  'num-4',
  'num-5',
  'num-6',
  'num-7',
  'num-8',
  'num-9',
  'star',
  'hash',
] as const;

type NamedPrompt = Exclude<(typeof IVR_PROMPTS)[number], `num-${number}`>;

/** A prompt's name in the user's language ("num-2" is "Digit 2"); a name not in the list shows as is. */
export function usePromptLabel(): (name: string) => string {
  const { t } = useTranslation();
  return (name) => {
    const digit = /^num-([0-9])$/.exec(name);
    if (digit) return t('ivrMenus.prompts.digit', { digit: digit[1] ?? '' });
    return (IVR_PROMPTS as readonly string[]).includes(name)
      ? t(`ivrMenus.prompts.${name as NamedPrompt}`)
      : name;
  };
}

/** The tenant's audio files by id and name, for naming a menu's file; undefined while they load. */
export type AudioNames = readonly { id: string; name: string }[] | undefined;

/**
 * What the caller hears, in a line: the audio file's name (it wins), the text (cut
 * at `max` characters) and its language, or the prompts' names; `standard` for
 * none (null audio). `files` names the files.
 */
export function useAudioSummary(
  files: AudioNames,
): (a: IvrAudio | null, standard?: string, max?: number) => string {
  const { t } = useTranslation();
  const promptLabel = usePromptLabel();
  return (a, standard, max = 140) => {
    if (!a) return standard ?? t('ivrMenus.tree.standard');
    if (a.fileId) {
      const name = files ? files.find((f) => f.id === a.fileId)?.name : '…';
      return t('ivrMenus.tree.file', { name: name ?? t('ivrMenus.tree.fileMissing') });
    }
    if (a.text !== null) {
      const text = a.text.length > max ? `${a.text.slice(0, max)}…` : a.text;
      const lang = a.lang
        ? t('ivrMenus.tree.text', { lang: t(`ivrMenus.tree.langs.${a.lang}`) })
        : t('ivrMenus.tree.textTenant');
      return `${lang}: “${text}”`;
    }
    if (a.prompts.length === 0) return t('ivrMenus.tree.noGreeting');
    return a.prompts.map(promptLabel).join(' · ');
  };
}

/**
 * What the tree draws of a menu: a saved menu as the API has it, or the editor's
 * draft (no id yet when new; a key may not have its destination yet).
 */
export interface IvrTreeMenu {
  id: string | null;
  name: string;
  number: string | null;
  greeting: IvrAudio;
  options: { key: string; destination: Destination | null; tag: string | null }[];
  directDial: { enabled: boolean; allow: string[] };
  timeoutSec: number;
  retries: number;
  invalidAudio: IvrAudio | null;
  timeoutAudio: IvrAudio | null;
  fallback: Destination | null;
  calendar: { calendarId: string; whenClosed: Destination | null } | null;
  tag: string | null;
}

const LINE = 'var(--mantine-color-default-border)';
const branches: CSSProperties = {
  listStyle: 'none',
  margin: 0,
  padding: '0 0 0 10px',
  borderLeft: `2px solid ${LINE}`,
};
const branch: CSSProperties = { position: 'relative', padding: '6px 0 0 14px', minWidth: 0 };
const tick: CSSProperties = {
  position: 'absolute',
  left: -2,
  top: 17,
  width: 12,
  borderTop: `2px solid ${LINE}`,
};
const wrap: CSSProperties = { overflowWrap: 'anywhere' };
/** A badge whose text may be longer than a phone's width wraps instead of being cut. */
const badge = {
  root: { maxWidth: '100%', height: 'auto', minHeight: 'var(--badge-height)' },
  label: { whiteSpace: 'normal', overflow: 'visible', textAlign: 'left' },
} satisfies Record<string, CSSProperties>;

/** How deep sub-menus are drawn before "… more levels". */
const MAX_DEPTH = 6;

export function IvrTree({
  menu,
  menus,
  options,
  audioFiles,
  onOpen,
}: {
  menu: IvrTreeMenu;
  /** The tenant's menus, where sub-menus are looked up. */
  menus: readonly IvrMenu[];
  options: RoutingOptions;
  /** The tenant's audio files, which name a menu's file greeting or prompts. */
  audioFiles: AudioNames;
  /** Opens a sub-menu's editor; without it sub-menus have no button. */
  onOpen?: (menu: IvrMenu) => void;
}) {
  const { t } = useTranslation();
  const describe = useDescribeDestination(options);
  const audio = useAudioSummary(audioFiles);
  const title = (m: { name: string; number: string | null }) =>
    (m.number ? `${m.number} ${m.name}` : m.name).trim() || t('ivrMenus.tree.newMenu');

  /** Where a branch leads: a sub-menu's own tree, "back to" a menu above, or the destination in words. */
  const target = (d: Destination | null, path: readonly string[], none: string): ReactNode => {
    if (d?.kind === 'ivr' && d.id) {
      const sub = menus.find((m) => m.id === d.id);
      if (sub && path.includes(sub.id))
        return (
          <Text size="sm" fw={600} c="grape" data-back-to={sub.id} style={wrap}>
            {t('ivrMenus.tree.backTo', { name: title(sub) })}
          </Text>
        );
      if (sub && path.length > MAX_DEPTH)
        return (
          <Text size="sm" style={wrap}>
            {describe(d)}{' '}
            <Text span c="dimmed">
              {t('ivrMenus.tree.tooDeep')}
            </Text>
          </Text>
        );
      if (sub) return node(sub, [...path, sub.id]);
    }
    return (
      <Text size="sm" style={wrap}>
        → {describe(d, none)}
      </Text>
    );
  };

  const item = (key: string, label: ReactNode, body: ReactNode) => (
    <li key={key} style={branch} data-branch={key}>
      <span aria-hidden style={tick} />
      <Stack gap={4}>
        {label}
        {body}
      </Stack>
    </li>
  );

  /** A menu's card and its branches; `path` holds the ids of the menus from the root down to it. */
  function node(m: IvrTreeMenu, path: readonly string[]): ReactNode {
    const depth = path.length - (menu.id ? 1 : 0);
    const sub = depth > 0 && m.id ? menus.find((x) => x.id === m.id) : undefined;
    const closedCalendar = m.calendar
      ? (options.calendars.find((c) => c.id === m.calendar!.calendarId)?.name ??
        (options.loading ? '…' : t('ivrMenus.tree.unknownCalendar')))
      : '';
    return (
      <Stack gap={2} data-menu={m.id ?? 'new'} style={{ minWidth: 0 }}>
        <Paper
          withBorder
          radius="md"
          p={{ base: 6, xs: 'xs' }}
          bg={depth === 0 ? 'var(--mantine-color-blue-light)' : undefined}
        >
          <Group justify="space-between" gap={6} wrap="wrap">
            <Group gap={6} wrap="wrap" style={{ minWidth: 0 }}>
              <Text fw={700} size="sm" style={wrap}>
                ☰ {title(m)}
              </Text>
              {m.tag ? (
                <Badge size="xs" variant="outline" tt="none">
                  {t('ivrMenus.tree.tag', { tag: m.tag })}
                </Badge>
              ) : null}
            </Group>
            {sub && onOpen ? (
              <Button size="compact-xs" variant="light" onClick={() => onOpen(sub)}>
                {t('ivrMenus.tree.open', { name: title(sub) })}
              </Button>
            ) : null}
          </Group>
          <Text size="xs" c="dimmed" mt={2} style={wrap}>
            ♪ {t('ivrMenus.tree.greeting')}: {audio(m.greeting, t('ivrMenus.tree.noGreeting'))}
          </Text>
        </Paper>
        <ul style={branches}>
          {m.calendar
            ? item(
                'closed',
                <Badge size="sm" color="orange" variant="light" tt="none" styles={badge}>
                  {t('ivrMenus.tree.closed', { calendar: closedCalendar })}
                </Badge>,
                target(m.calendar.whenClosed, path, t('common.none')),
              )
            : null}
          {m.options.length === 0 ? (
            <li style={branch}>
              <span aria-hidden style={tick} />
              <Text size="sm" c="dimmed">
                {t('ivrMenus.tree.noKeys')}
              </Text>
            </li>
          ) : null}
          {m.options.map((o) =>
            item(
              `key-${o.key}`,
              <Group gap={6} wrap="wrap">
                <Badge size="sm" variant="filled" tt="none">
                  {t('ivrMenus.tree.key', { key: o.key })}
                </Badge>
                {o.tag ? (
                  <Badge size="xs" variant="outline" tt="none">
                    {t('ivrMenus.tree.tag', { tag: o.tag })}
                  </Badge>
                ) : null}
              </Group>,
              target(o.destination, path, t('destination.choose')),
            ),
          )}
          {m.directDial.enabled
            ? item(
                'direct-dial',
                <Badge size="sm" color="teal" variant="light" tt="none" styles={badge}>
                  ☎ {t('ivrMenus.tree.directDial')}
                </Badge>,
                <Text size="sm" style={wrap}>
                  →{' '}
                  {m.directDial.allow.length === 0
                    ? t('ivrMenus.tree.directDialAny')
                    : t('ivrMenus.tree.directDialOnly', { list: m.directDial.allow.join(', ') })}
                </Text>,
              )
            : null}
          {item(
            'fallback',
            <Badge size="sm" color="gray" variant="light" tt="none" styles={badge}>
              {t('ivrMenus.tree.noKeyOrWrong', { sec: m.timeoutSec })}
            </Badge>,
            <>
              <Text size="xs" c="dimmed" style={wrap}>
                {t('ivrMenus.tree.noKey', { audio: audio(m.timeoutAudio) })}
                <br />
                {t('ivrMenus.tree.wrongKey', { audio: audio(m.invalidAudio) })}
                <br />↻ {t('ivrMenus.tree.replays', { count: m.retries })}
              </Text>
              <Text size="sm" fw={500}>
                {t('ivrMenus.tree.afterwards')}
              </Text>
              {target(m.fallback, path, t('ivrMenus.tree.hangUp'))}
            </>,
          )}
        </ul>
      </Stack>
    );
  }

  return (
    <Box component="section" aria-label={t('ivrMenus.tree.label', { name: title(menu) })} data-ivr-tree>
      {node(menu, menu.id ? [menu.id] : [])}
    </Box>
  );
}
