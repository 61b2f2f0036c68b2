/**
 * The tenant's conference room (feature code *77): callers hear a beep and are
 * in the room with everyone else who dialled it; * mutes and unmutes oneself.
 * Rooms per number, PINs and moderators come with the routing configuration.
 */
import type { App, AppSession } from '../app-call.js';

export const conferenceRoom: App = Object.assign(
  async (call: AppSession): Promise<void> => {
    await call.tone({ region: call.language === 'ru' ? 'ru' : 'eu', name: 'beep' });
    call.joinConference();
    let muted = false;
    while (!call.ended) {
      const key = await call.nextDigit(60_000);
      if (key === '*') {
        muted = !muted;
        call.muteInConference(muted);
        call.log.info({ caller: call.caller.number, muted }, 'conference member muted');
      }
    }
  },
  { room: (tenantId: string) => `${tenantId}/conference` },
);
