import { SegmentedControl } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language, setLanguage } from '../i18n';

/** English / Русский, remembered in this browser. */
export function LanguageSwitch({ onChange }: { onChange?: (lang: Language) => void }) {
  const { t, i18n } = useTranslation();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('language.label')}
      value={i18n.language}
      data={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
      onChange={(v) => {
        setLanguage(v as Language);
        onChange?.(v as Language);
      }}
    />
  );
}
