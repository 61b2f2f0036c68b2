/** Mantine's Modal with its close button named in the user's language (screen readers read it). */
import { Modal, type ModalProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';

export function Dialog(props: ModalProps) {
  const { t } = useTranslation();
  return <Modal closeButtonProps={{ 'aria-label': t('common.close') }} {...props} />;
}
