/**
 * The classic forwarding rules of an extension — always, when busy, when not
 * answered, when the phone is offline — each a switch and a number to forward to.
 * Only the inputs: the page around it holds the rules, saves them and passes the
 * server's refusal in, which shows next to the rule it names.
 */
import { SimpleGrid, Switch, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Extension } from '../api/types';
import { fieldError } from './Problem';

export type Forwarding = Extension['forwarding'];
export type ForwardingRule = keyof Forwarding;

export const FORWARDING_RULES = [
  'always',
  'busy',
  'noAnswer',
  'unreachable',
] as const satisfies readonly ForwardingRule[];

const RULE_LABEL = {
  always: 'profile.forwardAlways',
  busy: 'profile.forwardBusy',
  noAnswer: 'profile.forwardNoAnswer',
  unreachable: 'profile.forwardUnreachable',
} as const satisfies Record<ForwardingRule, string>;

/** The fields whose errors the editor shows itself (for ProblemAlert's `fields`). */
export const FORWARDING_FIELDS = FORWARDING_RULES.flatMap((r) => [
  `forwarding.${r}`,
  `forwarding.${r}.target`,
  `forwarding.${r}.enabled`,
]);

/** The server's error about `rule`, wherever in the rule it points. */
function ruleError(error: unknown, rule: ForwardingRule) {
  return (
    fieldError(error, `forwarding.${rule}.target`) ??
    fieldError(error, `forwarding.${rule}.enabled`) ??
    fieldError(error, `forwarding.${rule}`)
  );
}

export function ForwardingEditor({
  value,
  onChange,
  error,
  canEdit,
}: {
  value: Forwarding;
  onChange: (rule: ForwardingRule, change: Partial<Forwarding[ForwardingRule]>) => void;
  /** The failed save: its error about a rule shows at that rule's number. */
  error: unknown;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  return FORWARDING_RULES.map((rule) => {
    const ruleName = t(RULE_LABEL[rule]);
    return (
      <SimpleGrid key={rule} cols={{ base: 1, xs: 2 }} spacing="xs" verticalSpacing={6} data-rule={rule}>
        <Switch
          label={ruleName}
          checked={value[rule].enabled}
          disabled={!canEdit}
          onChange={(e) => onChange(rule, { enabled: e.currentTarget.checked })}
          mt={{ base: 0, xs: 8 }}
        />
        <TextInput
          aria-label={t('profile.forwardTarget', { rule: ruleName })}
          placeholder={t('profile.targetPlaceholder')}
          inputMode="tel"
          autoComplete="off"
          value={value[rule].target}
          readOnly={!canEdit}
          onChange={(e) => onChange(rule, { target: e.currentTarget.value.replace(/[\s()-]/g, '') })}
          error={ruleError(error, rule)}
        />
      </SimpleGrid>
    );
  });
}
