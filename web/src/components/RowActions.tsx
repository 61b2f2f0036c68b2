/** Small buttons of list and table rows: edit (or view, for a role that only reads), delete, move up and down. */
import { ActionIcon, Button, Group } from '@mantine/core';
import { useTranslation } from 'react-i18next';

export function RowActions({
  name,
  canWrite,
  onEdit,
  onDelete,
}: {
  /** The row's object, for the buttons' accessible names. */
  name: string;
  canWrite: boolean;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Group gap={4} wrap="nowrap" justify="flex-end">
      <Button
        size="xs"
        variant="subtle"
        onClick={onEdit}
        aria-label={canWrite ? t('routing.editNamed', { name }) : t('routing.viewNamed', { name })}
      >
        {canWrite ? t('routing.edit') : t('routing.view')}
      </Button>
      {canWrite ? (
        <Button
          size="xs"
          variant="subtle"
          color="red"
          onClick={onDelete}
          aria-label={t('routing.deleteNamed', { name })}
        >
          {t('common.delete')}
        </Button>
      ) : null}
    </Group>
  );
}

/** Up, down and remove for one item of an ordered list (`label` names the item). */
export function OrderButtons({
  index,
  count,
  label,
  onMove,
  onRemove,
  disabled = false,
}: {
  index: number;
  count: number;
  label: string;
  onMove: (from: number, to: number) => void;
  onRemove: () => void;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Group gap={2} wrap="nowrap">
      <ActionIcon
        variant="subtle"
        disabled={disabled || index === 0}
        onClick={() => onMove(index, index - 1)}
        aria-label={t('routing.moveUp', { name: label })}
      >
        ↑
      </ActionIcon>
      <ActionIcon
        variant="subtle"
        disabled={disabled || index === count - 1}
        onClick={() => onMove(index, index + 1)}
        aria-label={t('routing.moveDown', { name: label })}
      >
        ↓
      </ActionIcon>
      <ActionIcon
        variant="subtle"
        color="red"
        disabled={disabled}
        onClick={onRemove}
        aria-label={t('routing.remove', { name: label })}
      >
        ✕
      </ActionIcon>
    </Group>
  );
}

/** `items` with the one at `from` moved to `to`. */
export function moved<T>(items: readonly T[], from: number, to: number): T[] {
  const out = [...items];
  const [item] = out.splice(from, 1);
  if (item !== undefined) out.splice(to, 0, item);
  return out;
}
