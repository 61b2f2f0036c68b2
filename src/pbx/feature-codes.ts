/**
 * Feature codes: what a phone user dials to switch things (DND, forwarding, the
 * office calendar) or to reach a service (pickup, echo test). Every tenant has the
 * defaults below and may change any code; a set of codes is refused at save when
 * two clash (DESIGN.md §5: bad config is refused at save), because a clash would
 * make one feature unreachable.
 */

export interface FeatureDef {
  code: string;
  /** Digits follow the code (a target number, an extension, a calendar). */
  arg: 'none' | 'optional' | 'required';
  /** Shown in the portal and errors. */
  label: string;
}

export const FEATURES = {
  dndOn: { code: '*78', arg: 'none', label: 'Do not disturb on' },
  dndOff: { code: '*79', arg: 'none', label: 'Do not disturb off' },
  forwardOn: { code: '*72', arg: 'required', label: 'Forward all calls to a number' },
  forwardOff: { code: '*73', arg: 'none', label: 'Forwarding off' },
  status: { code: '*70', arg: 'required', label: 'My status: 1 available, 2 away, 3 lunch, 4 business trip' },
  pickup: { code: '*8', arg: 'none', label: 'Pick up a call ringing in my groups' },
  directedPickup: { code: '**', arg: 'required', label: 'Pick up a call ringing an extension' },
  intercom: { code: '*80', arg: 'required', label: 'Intercom: the extension answers by itself' },
  page: {
    code: '*81',
    arg: 'required',
    label: "Page a ring group: its members' phones answer by themselves",
  },
  parkCall: { code: '*85', arg: 'none', label: 'Park a call (transfer it to this code)' },
  parkRetrieve: { code: '*86', arg: 'required', label: 'Take a parked call from its slot' },
  officeOpen: { code: '*61', arg: 'optional', label: 'Force the office calendar open' },
  officeClosed: { code: '*62', arg: 'optional', label: 'Force the office calendar closed' },
  officeSchedule: { code: '*63', arg: 'optional', label: 'Office calendar follows its schedule' },
  agentLogin: {
    code: '*45',
    arg: 'optional',
    label: 'Queue agent: log in or out (all my queues, or the queue whose number follows)',
  },
  agentPause: {
    code: '*46',
    arg: 'optional',
    label: 'Queue agent: pause or unpause (digits after: reason code)',
  },
  echoTest: { code: '*43', arg: 'none', label: 'Echo test' },
  directory: { code: '*411', arg: 'none', label: 'Dial by name: key the first letters of a name' },
  keyReadback: { code: '*44', arg: 'none', label: 'Key read-back test' },
  conference: { code: '*77', arg: 'none', label: 'Conference room' },
  voicemail: { code: '*97', arg: 'none', label: 'My voicemail' },
  voicemailAny: {
    code: '*98',
    arg: 'optional',
    label: 'Voicemail of any mailbox (asks for its number, or dial it after the code)',
  },
} as const satisfies Record<string, FeatureDef>;

export type Feature = keyof typeof FEATURES;
export const FEATURE_NAMES = Object.keys(FEATURES) as Feature[];

/** What a code may look like: starts with * or #, at most 8 keys. */
export const FEATURE_CODE_PATTERN = '^[*#][0-9*#]{1,7}$';

/** The tenant's codes: its own where it set them, the defaults elsewhere. */
export function effectiveCodes(overrides: Readonly<Record<string, string>>): Record<Feature, string> {
  const out = {} as Record<Feature, string>;
  for (const f of FEATURE_NAMES) out[f] = overrides[f] ?? FEATURES[f].code;
  return out;
}

/**
 * Pairs of features whose codes clash: the same code, or one code that begins
 * another when the shorter takes digits after it (dialling the longer would be
 * read as the shorter with an argument).
 */
export function clashes(
  codes: Record<Feature, string>,
): { feature: Feature; with: Feature; message: string }[] {
  const out: { feature: Feature; with: Feature; message: string }[] = [];
  for (const a of FEATURE_NAMES) {
    for (const b of FEATURE_NAMES) {
      if (a >= b) continue;
      const [ca, cb] = [codes[a], codes[b]];
      const [short, long, shortF, longF] = ca.length <= cb.length ? [ca, cb, a, b] : [cb, ca, b, a];
      if (ca === cb)
        out.push({
          feature: b,
          with: a,
          message: `${cb} is the code of both "${FEATURES[a].label}" and "${FEATURES[b].label}"`,
        });
      else if (long.startsWith(short) && FEATURES[shortF].arg !== 'none')
        out.push({
          feature: longF,
          with: shortF,
          message: `${long} begins with ${short} ("${FEATURES[shortF].label}", which takes digits after it)`,
        });
    }
  }
  return out;
}

/** The feature a dialled string asks for, with the digits after its code. */
export function matchFeature(
  codes: Record<Feature, string>,
  dialled: string,
): { feature: Feature; arg: string } | null {
  let best: { feature: Feature; arg: string } | null = null;
  for (const f of FEATURE_NAMES) {
    const code = codes[f];
    if (!dialled.startsWith(code)) continue;
    const arg = dialled.slice(code.length);
    const kind: FeatureDef['arg'] = FEATURES[f].arg;
    if (kind === 'none' && arg !== '') continue;
    if (kind === 'required' && arg === '') continue;
    if (arg !== '' && !/^[0-9]+$/.test(arg)) continue;
    // The longest code wins (exact codes beat shorter codes with arguments).
    if (!best || code.length > codes[best.feature].length) best = { feature: f, arg };
  }
  return best;
}
