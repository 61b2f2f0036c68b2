/**
 * A call record as a tree (web/src/call-tree.ts): each routing step in order with
 * the phones it rang nested beneath, when each rang and what it did. Nested lists,
 * so a screen reader reads it as the tree it is.
 */
import { Badge, Group, List, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { type CallTreeModel, callTree, type LegOutcome, type TreeInput, type TreeLeg } from '../call-tree';
import { callTreeEn } from '../i18n/call-tree';

const KIND_NAMES = callTreeEn.callTree.kinds;
type KindName = keyof typeof KIND_NAMES;

const COLOR: Record<LegOutcome, string> = {
  answered: 'teal',
  busy: 'orange',
  declined: 'red',
  noAnswer: 'yellow',
  cancelled: 'gray',
  failed: 'red',
};

function Leg({ leg }: { leg: TreeLeg }) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" fw={500}>
        {leg.number ?? leg.target}
      </Text>
      <Badge size="sm" variant="light" color={COLOR[leg.outcome]}>
        {t(`callTree.outcomes.${leg.outcome}`)}
      </Badge>
      <Text size="xs" c="dimmed">
        {leg.endSec === null
          ? t('callTree.spanOpen', { from: leg.startSec })
          : t('callTree.span', { from: leg.startSec, to: leg.endSec })}
      </Text>
    </Group>
  );
}

function Legs({ legs }: { legs: readonly TreeLeg[] }) {
  if (legs.length === 0) return null;
  return (
    <List size="sm" withPadding listStyleType="circle">
      {legs.map((l) => (
        <List.Item key={l.key}>
          <Leg leg={l} />
        </List.Item>
      ))}
    </List>
  );
}

export function CallTree({ call }: { call: TreeInput }) {
  const { t } = useTranslation();
  const tree: CallTreeModel = callTree(call);
  // A kind the portal has no name for yet is shown as the PBX wrote it.
  const kind = (k: string) => (k in KIND_NAMES ? t(`callTree.kinds.${k as KindName}`) : k);
  return (
    <Stack gap={4} data-testid="call-tree">
      <Text size="sm" fw={600}>
        {t('callTree.title')}
      </Text>
      {tree.steps.length === 0 && tree.direct.length === 0 && (
        <Text size="sm" c="dimmed">
          {t('callTree.noLegs')}
        </Text>
      )}
      {tree.direct.length > 0 && (
        <List size="sm">
          <List.Item>
            <Text size="sm">{t('callTree.direct')}</Text>
            <Legs legs={tree.direct} />
          </List.Item>
        </List>
      )}
      {tree.steps.length > 0 && (
        <List size="sm" type="ordered">
          {tree.steps.map((s) => (
            <List.Item key={s.key}>
              <Group gap="xs" wrap="wrap">
                <Badge size="sm" variant="outline">
                  {kind(s.kind)}
                </Badge>
                <Text size="sm">{s.name}</Text>
                <Text size="sm" c="dimmed">
                  — {s.outcome}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('callTree.at', { sec: s.atSec })}
                </Text>
              </Group>
              <Legs legs={s.legs} />
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}
