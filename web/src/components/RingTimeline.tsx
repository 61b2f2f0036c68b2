/**
 * Which phones ring when, as a horizontal bar per phone (or step) on one time
 * axis: a bar from second X to second Y of the call, its label and the seconds in
 * words above it, a scale of seconds under the bars and a line about what
 * happens at the end. A list inside a figure, so a screen reader reads it in order.
 */
import { Box, Stack, Text, VisuallyHidden } from '@mantine/core';
import { type ReactNode, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { type Span, tickStep } from '../call-rules';

export interface TimelineBar {
  key: string;
  label: string;
  span: Span;
  /** A Mantine colour: `teal.6`. */
  color: string;
}

const percent = (sec: number, total: number) => `${total > 0 ? (sec / total) * 100 : 0}%`;

export function RingTimeline({
  title,
  bars,
  total,
  footer,
}: {
  title: string;
  bars: readonly TimelineBar[];
  total: number;
  footer?: ReactNode;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  const step = tickStep(total);
  const ticks: number[] = [];
  for (let s = 0; s <= total; s += step) ticks.push(s);
  return (
    <Stack component="figure" m={0} gap={6} aria-labelledby={titleId} data-testid="ring-timeline">
      <Text size="sm" fw={500} id={titleId}>
        {title}
      </Text>
      <Box component="ul" m={0} p={0} style={{ listStyle: 'none' }}>
        {bars.map((bar) => (
          <Box component="li" key={bar.key} mb={6} data-testid="timeline-bar">
            <Box style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
              <Text size="xs" fw={500} style={{ overflowWrap: 'anywhere' }}>
                {bar.label}
              </Text>
              <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                <span aria-hidden>
                  {t('callHandling.timelineRange', { from: bar.span.from, to: bar.span.to })}
                </span>
                <VisuallyHidden>
                  {t('callHandling.timelineRangeLong', { from: bar.span.from, to: bar.span.to })}
                </VisuallyHidden>
              </Text>
            </Box>
            <Box pos="relative" h={12} bg="gray.1" style={{ borderRadius: 4 }} aria-hidden>
              <Box
                pos="absolute"
                top={0}
                bottom={0}
                bg={bar.color}
                style={{
                  left: percent(bar.span.from, total),
                  width: percent(bar.span.to - bar.span.from, total),
                  borderRadius: 4,
                  minWidth: bar.span.to > bar.span.from ? 2 : 0,
                }}
              />
            </Box>
          </Box>
        ))}
      </Box>
      {total > 0 ? (
        <Box pos="relative" h={16} aria-hidden>
          {ticks.map((s, i) => (
            <Text
              key={s}
              size="10px"
              c="dimmed"
              pos="absolute"
              top={0}
              style={{
                left: percent(s, total),
                transform: i === 0 ? undefined : s === total ? 'translateX(-100%)' : 'translateX(-50%)',
                whiteSpace: 'nowrap',
              }}
            >
              {t('callHandling.seconds', { sec: s })}
            </Text>
          ))}
        </Box>
      ) : null}
      {footer ? (
        <Text component="figcaption" size="xs" c="dimmed">
          {footer}
        </Text>
      ) : null}
    </Stack>
  );
}
