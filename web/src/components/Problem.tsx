/**
 * Showing API problems: next to the field they name when a form has that field,
 * otherwise as an alert above the form.
 */
import { Alert, Text } from '@mantine/core';
import { type RefObject, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client';

/** The message for `field` if `error` is a problem about that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiProblem && error.field === field ? error.message : undefined;
}

/**
 * The message for `field` or any field under it (`members.0` covers `members.0.number`):
 * for a control that stands for a whole part of the body, such as a destination.
 */
export function fieldErrorWithin(error: unknown, field: string): string | undefined {
  return error instanceof ApiProblem &&
    error.field !== undefined &&
    (error.field === field || error.field.startsWith(`${field}.`))
    ? error.message
    : undefined;
}

/** Whether a form shows `field` itself: it is one of `fields`, or under an entry ending in ".*". */
function shown(fields: readonly string[], field: string): boolean {
  return fields.some((f) =>
    f.endsWith('.*') ? field.startsWith(f.slice(0, -1)) || field === f.slice(0, -2) : f === field,
  );
}

/**
 * An alert for an error no field of `fields` shows; nothing when there is none.
 * An entry ending in ".*" stands for that field and everything under it.
 */
export function ProblemAlert({ error, fields = [] }: { error: unknown; fields?: readonly string[] }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (error instanceof ApiProblem && error.field && shown(fields, error.field)) return null;
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

/**
 * A field's error where no input of its own can show it (a table row, a group of
 * controls); `id` lets the group point at it with aria-describedby.
 */
export function FieldErrorText({
  children,
  id,
  mt,
}: {
  children: string | undefined;
  id?: string;
  mt?: number;
}) {
  if (!children) return null;
  return (
    <Text size="xs" c="red" id={id} mt={mt} data-field-error>
      {children}
    </Text>
  );
}

/**
 * After a failed save, brings what shows the error into view — the first invalid
 * field, field error or alert in `container` — and focuses it when it is an input:
 * in a long dialog it may be far above the button that was pressed.
 */
export function useRevealError(error: unknown, container: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    if (!error || !container.current) return;
    const el = container.current.querySelector<HTMLElement>(
      '[aria-invalid="true"], [data-field-error], [role="alert"]',
    );
    if (!el) return;
    el.scrollIntoView?.({ block: 'center' });
    if (el.matches('input, textarea')) el.focus({ preventScroll: true });
  }, [error, container]);
}
