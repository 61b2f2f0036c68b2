/** pino JSON logs on standard output. */
import { pino } from 'pino';
import type { LogLevel } from './config.js';

export type Logger = pino.Logger;

/** `destination`: standard output by default (tests read the lines the node writes). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'nimbus' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.sipSecret'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
