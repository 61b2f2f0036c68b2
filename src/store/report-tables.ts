/** Table types of the tenants' scheduled email reports (migration 0022). */
import type { ColumnType, Generated, Selectable } from 'kysely';

export const SCHEDULED_REPORTS = ['calls', 'queues', 'trunks'] as const;
export type ScheduledReport = (typeof SCHEDULED_REPORTS)[number];
export const REPORT_FREQUENCIES = ['daily', 'weekly', 'monthly'] as const;
export type ReportFrequency = (typeof REPORT_FREQUENCIES)[number];
export const REPORT_FORMATS = ['xlsx', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportSchedulesTable {
  id: Generated<string>;
  tenantId: string;
  name: string;
  report: ScheduledReport;
  frequency: ReportFrequency;
  /** 'HH:MM' in the tenant's time zone. */
  timeOfDay: string;
  /** Weekly: ISO weekday the report goes out (1 Monday). */
  weekday: number | null;
  /** Monthly: day of the month it goes out (1–28, so every month has it). */
  dayOfMonth: number | null;
  recipients: ColumnType<string[], string, string>;
  format: ReportFormat;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  /** When it is next due; a node claims it by moving this on (see the scheduler). */
  nextRunAt: Date;
  lastRunAt: Date | null;
  lastError: string | null;
  createdAt: ColumnType<Date, Date | undefined, never>;
  updatedAt: ColumnType<Date, Date | undefined, Date>;
}

export type ReportSchedule = Selectable<ReportSchedulesTable>;
