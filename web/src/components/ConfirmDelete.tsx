/**
 * "Delete this?" for a routing object: asks, deletes, and when the server refuses
 * (409: something still routes calls to it) shows its answer, which names who.
 */
import { Button, Group, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Dialog } from './Dialog';
import { ProblemAlert } from './Problem';

export function ConfirmDelete({
  target,
  onDelete,
  onDeleted,
  onClose,
  text,
}: {
  /** What is to be deleted, by name; null: the dialog is closed. */
  target: { id: string; name: string } | null;
  /** What deleting means, when not the routing object's words. */
  text?: string;
  onDelete: (id: string) => Promise<unknown>;
  onDeleted: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const remove = useMutation({
    mutationFn: onDelete,
    onSuccess: () => {
      remove.reset();
      onDeleted();
    },
  });
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <Dialog
      opened={target !== null}
      onClose={close}
      title={target ? t('routing.deleteTitle', { name: target.name }) : ''}
    >
      {target ? (
        <Stack>
          <Text size="sm">{text ?? t('routing.deleteConfirm')}</Text>
          <ProblemAlert error={remove.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close} data-autofocus>
              {t('common.cancel')}
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(target.id)}>
              {t('common.delete')}
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Dialog>
  );
}
