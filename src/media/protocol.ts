/**
 * Messages between the media engine (on the SIP/PBX thread) and its workers.
 * Endpoint ids are chosen by the engine, so commands that need no answer
 * (setting the remote, bridging) go without a round trip.
 */
import type { DtmfSignal } from './dtmf/digits.js';
import type { PlayPosition } from './play/sources.js';
import type { LegStats, RemoteMedia } from './rtp/endpoint.js';
import type { ToneName, ToneRegion } from './tones.js';

export interface WorkerConfig {
  index: number;
  bindAddress: string;
  portMin: number;
  portMax: number;
  cname: string;
}

export type ToWorker =
  | { op: 'open'; rid: number; id: number }
  | { op: 'remote'; id: number; remote: RemoteMedia }
  | { op: 'bridge'; a: number; b: number }
  | { op: 'unbridge'; id: number }
  /** Sends what the leg sends straight back to it (echo test). */
  | { op: 'echo'; id: number }
  | { op: 'stats'; rid: number; id: number }
  /** Plays WAV files, or a call-progress tone, into the leg; ends with a `playback` event. */
  | {
      op: 'play';
      id: number;
      playId: number;
      files?: string[];
      /** Where in `files` to begin (file index, sample offset). */
      start?: PlayPosition;
      tone?: ToneRequest;
      bargeIn: boolean;
    }
  | { op: 'stopPlay'; id: number }
  /** Puts the leg in a conference room of this worker (made on first join, gone when empty). */
  | { op: 'confJoin'; id: number; room: string; muted?: boolean; listenOnly?: boolean }
  | { op: 'confLeave'; id: number }
  | { op: 'confMute'; id: number; muted: boolean }
  /**
   * Records the leg (`peer` too: mixed into one channel, or one leg per channel of a
   * stereo file) into a WAV at `path`, written to a temporary file and renamed when done.
   */
  | { op: 'record'; id: number; recId: number; path: string; options: RecordOptions }
  | { op: 'stopRecord'; id: number; reason: 'hangup' | 'dtmf' | 'explicit' }
  /**
   * Sends a key into the leg: RFC 4733 events if it negotiated telephone-event, else
   * tones in its audio (a key that came as SIP INFO from the other phone).
   */
  | { op: 'key'; id: number; signal: DtmfSignal; durationMs: number }
  /** Pauses or resumes the leg's recording: paused audio is left out of the file. */
  | { op: 'pauseRecord'; id: number; paused: boolean }
  | { op: 'close'; rid: number; id: number }
  | { op: 'shutdown'; rid: number };

/** Something that happened on an endpoint, reported to its owner. */
export interface ToneRequest {
  region: ToneRegion;
  name: ToneName;
}

export interface RecordOptions {
  mode: 'single' | 'mixed' | 'stereo';
  /** The other leg, for mixed and stereo recordings (an endpoint on the same worker). */
  peer?: number;
  maxDurationMs?: number;
  /** End after this much silence (voicemail); trailing silence is trimmed. */
  silence?: { afterMs: number; thresholdDbfs?: number };
  /** A key on the leg ends the recording. */
  stopOnDtmf?: boolean;
  encoding?: 'pcm16' | 'ulaw' | 'alaw';
}

export interface RecordingSummary {
  path: string;
  reason: 'hangup' | 'max-duration' | 'silence' | 'dtmf' | 'explicit';
  durationMs: number;
  voicedMs: number;
  bytes: number;
  /** Time the recording was paused (left out of the file). */
  pausedMs: number;
}

export type PlaybackEnd = 'done' | 'interrupted' | 'stopped' | 'failed';

export type EndpointEvent =
  /** The leg started or stopped talking in its conference room. */
  | { type: 'talking'; talking: boolean }
  /** A recording finished (`summary`) or could not be written (`error`). */
  | { type: 'recording'; recId: number; summary?: RecordingSummary; error?: string }
  /** A playback finished: played out, cut by a key (`digit`), stopped, or nothing playable. */
  | {
      type: 'playback';
      playId: number;
      end: PlaybackEnd;
      digit?: DtmfSignal;
      error?: string;
      /** Where a file playlist stopped, to resume from. */
      position?: PlayPosition;
    }
  /**
   * A key pressed on the leg's phone, sent as RFC 4733 telephone-events: reported at
   * its first packet (`start`, for barge-in) and at its end with the duration.
   */
  | { type: 'dtmf'; phase: 'start'; digit: DtmfSignal }
  | { type: 'dtmf'; phase: 'end'; digit: DtmfSignal; durationMs: number };

export type FromWorker =
  | { kind: 'ready'; capacity: number }
  | { kind: 'reply'; rid: number; port?: number; stats?: LegStats }
  | { kind: 'error'; rid: number; message: string; code: string }
  | { kind: 'event'; id: number; event: EndpointEvent };
