/**
 * The confirm-call question on its own (confirm-calls.test.ts has it end to end):
 * silence after the last ask declines, a stray key asks again, "too late" is
 * played before the BYE and is not a refusal. Prompts end at once here (a fake
 * port); the waits run on a manual clock.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EndpointListener, PlaybackResult } from '../../src/media/engine.js';
import type { CallContext, CallParty } from '../../src/pbx/call.js';
import type { SpareSide } from '../../src/pbx/call-media.js';
import { type ConfirmHooks, ConfirmingAnswer, confirmPrompt } from '../../src/pbx/confirm-call.js';
import type { Dialog } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';

const party: CallParty = { tenantId: 't', number: '+79161111111', displayName: '', domain: 'd' };

function harness(over: Partial<ConfirmHooks> = {}) {
  const clock = new ManualClock();
  const sent: string[] = [];
  const played: string[][] = [];
  const listeners: EndpointListener[] = [];
  const bound = new Set<string>();
  let closed = false;
  const outcome: string[] = [];
  const ctx = {
    clock,
    log: pino({ level: 'silent' }),
    bindDialog: (key: string) => bound.add(key),
    unbindDialog: (key: string) => bound.delete(key),
    layer: { sendRequest: (req: { method: string }) => sent.push(req.method) },
  } as unknown as CallContext;
  const dialog = {
    key: 'dialog-1',
    dest: { transport: 'UDP', host: '127.0.0.1', port: 5060 },
    request: (method: string) => ({ method }),
    accept: () => true,
  } as unknown as Dialog;
  const spare: SpareSide = {
    endpoint: {
      on: (l: EndpointListener) => listeners.push(l),
      play: (what: { files: string[] }): Promise<PlaybackResult> => {
        played.push(what.files);
        return Promise.resolve({ end: 'done' } as PlaybackResult);
      },
      stopPlayback: () => {},
    } as unknown as SpareSide['endpoint'],
    offer: () => '',
    answered: () => true,
    hasAnswer: true,
    close: () => {
      closed = true;
    },
  };
  const answer = new ConfirmingAnswer(
    ctx,
    {} as SipRequest,
    party,
    party,
    dialog,
    spare,
    { ask: ['ask.wav'], tooLate: ['late.wav'], waitSec: 5, tries: 3 },
    {
      accept:
        over.accept ??
        (() => {
          outcome.push('accepted');
          return true;
        }),
      declined: over.declined ?? ((why) => outcome.push(why)),
    },
  );
  const key = (digit: string) => {
    for (const l of listeners) l({ type: 'dtmf', phase: 'end', digit: digit as never, durationMs: 100 });
  };
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return {
    answer,
    clock,
    sent,
    played,
    bound,
    outcome,
    key,
    settle,
    get closed() {
      return closed;
    },
  };
}

describe('confirm-call question', () => {
  it('asks three times; silence after the last counts as "no": BYE, port released, dialog unbound', async () => {
    const h = harness();
    h.answer.start();
    expect(h.bound.has('dialog-1')).toBe(true);
    for (let i = 0; i < 3; i++) {
      await h.settle();
      expect(h.played).toHaveLength(i + 1);
      expect(h.outcome).toEqual([]);
      h.clock.advance(5000);
    }
    await h.settle();
    expect(h.outcome).toEqual(['no confirmation']);
    expect(h.sent).toEqual(['BYE']);
    expect(h.closed).toBe(true);
    expect(h.bound.size).toBe(0);
  });

  it('a stray key asks again; 1 then takes the call and the dialog is left to the call', async () => {
    const h = harness();
    h.answer.start();
    await h.settle();
    h.key('7');
    await h.settle();
    expect(h.played).toHaveLength(2);
    h.key('1');
    await h.settle();
    expect(h.outcome).toEqual(['accepted']);
    expect(h.sent).toEqual([]);
    expect(h.closed).toBe(false); // the port is the call's side B now
  });

  it('1 pressed when the call was taken meanwhile: "too late", then BYE; not a refusal', async () => {
    const h = harness({ accept: () => false });
    h.answer.start();
    await h.settle();
    h.key('1');
    await h.settle();
    await h.settle();
    expect(h.played.at(-1)).toEqual(['late.wav']);
    expect(h.outcome).toEqual([]);
    expect(h.sent).toEqual(['BYE']);
    expect(h.closed).toBe(true);
  });

  it('at shutdown the BYE goes at once, without the "too late" prompt', async () => {
    const h = harness();
    h.answer.start();
    await h.settle();
    h.answer.tooLate(true);
    expect(h.sent).toEqual(['BYE']);
    expect(h.closed).toBe(true);
    expect(h.played.flat()).not.toContain('late.wav');
  });

  it('2 declines at once', async () => {
    const h = harness();
    h.answer.start();
    await h.settle();
    h.key('2');
    await h.settle();
    expect(h.outcome).toEqual(['declined']);
    expect(h.sent).toEqual(['BYE']);
  });

  it('says the caller digit by digit, or only that there is a call when the caller is anonymous', () => {
    const named = confirmPrompt('ru', '+7 (495) 123');
    expect(named.ask.map((f) => f.split('/').slice(-2).join('/'))).toEqual([
      'ru/confirm-call-from.wav',
      ...[7, 4, 9, 5, 1, 2, 3].map((d) => `ru/num-${d}.wav`),
      'ru/confirm-press.wav',
    ]);
    expect(confirmPrompt('en', 'anonymous').ask.map((f) => f.split('/').at(-1))).toEqual([
      'confirm-call.wav',
      'confirm-press.wav',
    ]);
  });
});
