/** Call classes of outbound calls, cheapest first: each allows the ones before it (src/pbx/trunks/dial-plan.ts). */
import type { CallClass } from './api/types';

export const CALL_CLASSES = [
  'internal',
  'local',
  'national',
  'international',
] as const satisfies readonly CallClass[];

/** The cheaper of two classes: an extension never gets more than its tenant. */
export function lesserClass(a: CallClass, b: CallClass): CallClass {
  return CALL_CLASSES.indexOf(a) <= CALL_CLASSES.indexOf(b) ? a : b;
}
