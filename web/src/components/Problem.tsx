/**
 * Showing API problems: next to the field they name when a form has that field,
 * otherwise as an alert above the form.
 */
import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client';

/** The message for `field` if `error` is a problem about that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiProblem && error.field === field ? error.message : undefined;
}

/** An alert for an error no field of `fields` shows; nothing when there is none. */
export function ProblemAlert({ error, fields = [] }: { error: unknown; fields?: readonly string[] }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (error instanceof ApiProblem && error.field && fields.includes(error.field)) return null;
  // The title in the user's language by the problem's code; the server's detail as it sent it.
  const title =
    error instanceof ApiProblem
      ? t(`problem.${error.code}` as 'problem.INTERNAL', { defaultValue: error.problem.title })
      : t('common.error');
  const detail = error instanceof Error ? error.message : String(error);
  const english = error instanceof ApiProblem ? error.problem.title : null;
  return (
    <Alert color="red" title={title} role="alert">
      {detail !== title && detail !== english ? detail : null}
    </Alert>
  );
}
