/**
 * Feature codes that change a setting from the phone: DND on/off (*78/*79),
 * forward everything to a number (*72 + number) or stop (*73), set the presence
 * status (*70 + 1 available, 2 away, 3 lunch, 4 business trip), and force the
 * office calendar open, closed or back to its schedule (*61/*62/*63, an optional
 * digit choosing the calendar), and log a queue agent in or out (*45, optionally
 * + the queue's number) or pause them (*46, optionally + a reason code). The change is saved like one made in the portal
 * (audited, applied to the next call), and the caller hears it confirmed.
 */
import { promptFiles } from '../../media/prompts.js';
import { sayDigits } from '../../media/say.js';
import type { PresenceStatus } from '../../store/schema.js';
import type { AppSession } from '../app-call.js';
import type { Feature } from '../feature-codes.js';

/** *70 and a digit: the status, in the order the portal lists them. */
const STATUS_BY_DIGIT: Record<string, PresenceStatus> = {
  '1': 'available',
  '2': 'away',
  '3': 'lunch',
  '4': 'trip',
};

/** What the codes do, provided by the SIP service (it owns the store and the snapshot). */
export interface SettingActions {
  setDnd(on: boolean): Promise<void>;
  setStatus(status: PresenceStatus): Promise<void>;
  /** null: forwarding off. False: the target is not a number the PBX can reach. */
  setForwardAlways(target: string | null): Promise<boolean>;
  /** Calendar N (1-based, by creation) or every calendar; 'forbidden' unless the caller is an admin or supervisor. */
  overrideCalendars(
    state: 'open' | 'closed' | null,
    index: number | null,
  ): Promise<'done' | 'forbidden' | 'none'>;
  /** Logs the caller into its queues (or the queue with this number) — or out, if it was in. 'none': not an agent there. */
  toggleAgentLogin(queueNumber: string | null): 'in' | 'out' | 'none';
  /** Pauses the caller in every queue (with a reason code) — or unpauses. 'none': not an agent. */
  toggleAgentPause(reason: string): 'paused' | 'unpaused' | 'none';
}

export function settingApp(feature: Feature, arg: string, act: SettingActions) {
  return async (call: AppSession): Promise<void> => {
    const lang = call.language === 'ru' ? 'ru' : 'en';
    const say = (names: Parameters<typeof promptFiles>[0]) =>
      call.play(promptFiles(names, lang), { bargeIn: false });
    switch (feature) {
      case 'dndOn':
      case 'dndOff':
        await act.setDnd(feature === 'dndOn');
        await say([feature === 'dndOn' ? 'dnd-on' : 'dnd-off']);
        return;
      case 'forwardOn':
        if (!(await act.setForwardAlways(arg))) {
          await say(['number-not-in-service']);
          return;
        }
        await say(['forwarding-on-to', ...sayDigits(arg, lang)]);
        return;
      case 'status': {
        const status = STATUS_BY_DIGIT[arg];
        if (!status) {
          await say(['invalid-choice']);
          return;
        }
        await act.setStatus(status);
        await say([`status-${status}`]);
        return;
      }
      case 'forwardOff':
        await act.setForwardAlways(null);
        await say(['forwarding-off']);
        return;
      case 'officeOpen':
      case 'officeClosed':
      case 'officeSchedule': {
        const state = feature === 'officeOpen' ? 'open' : feature === 'officeClosed' ? 'closed' : null;
        const r = await act.overrideCalendars(state, arg ? Number.parseInt(arg, 10) : null);
        if (r === 'forbidden') await say(['not-allowed']);
        else if (r === 'none') await say(['number-not-in-service']);
        else
          await say([
            state === 'open'
              ? 'office-open'
              : state === 'closed'
                ? 'office-closed'
                : 'office-follows-schedule',
          ]);
        return;
      }
      case 'agentLogin': {
        const r = act.toggleAgentLogin(arg || null);
        await say([r === 'in' ? 'agent-logged-in' : r === 'out' ? 'agent-logged-out' : 'not-a-queue-member']);
        return;
      }
      case 'agentPause': {
        const r = act.toggleAgentPause(arg ? `code ${arg}` : '');
        await say([
          r === 'paused' ? 'agent-paused' : r === 'unpaused' ? 'agent-unpaused' : 'not-a-queue-member',
        ]);
        return;
      }
      default:
        return;
    }
  };
}
