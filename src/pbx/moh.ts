/**
 * Music on hold: what a held party hears, played by the relay from the tenant's
 * folder (`<data dir>/moh/<tenant id>/*.wav`, in name order, round and round) or,
 * when that is empty, the built-in piece. A caller put on hold again later picks
 * up the music where it stopped for them, as people expect from a real PBX.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MediaEndpoint } from '../media/engine.js';
import { defaultPromptsDir } from '../media/prompts.js';

interface Position {
  index: number;
  offset: number;
}

/** How many held parties' places are remembered (oldest forgotten first). */
const REMEMBERED = 10_000;
/** A tenant's folder is listed again after this long (files may be uploaded). */
const LISTING_TTL_MS = 30_000;

export class MusicOnHold {
  private readonly positions = new Map<string, Position>();
  private readonly listings = new Map<string, { files: string[]; at: number }>();
  private readonly fallback = join(defaultPromptsDir(), 'moh', 'default.wav');

  /** `dir`: the folder holding one sub-folder of music per tenant; null: built-in music only. */
  constructor(private readonly dir: string | null) {}

  playlist(tenantId: string): string[] {
    if (!this.dir) return [this.fallback];
    const now = Date.now();
    const cached = this.listings.get(tenantId);
    if (cached && now - cached.at < LISTING_TTL_MS) return cached.files;
    let files: string[] = [];
    try {
      const folder = join(this.dir, tenantId);
      files = readdirSync(folder)
        .filter((f) => f.toLowerCase().endsWith('.wav'))
        .sort()
        .map((f) => join(folder, f));
    } catch {
      // No folder yet: the built-in music.
    }
    if (files.length === 0) files = [this.fallback];
    this.listings.set(tenantId, { files, at: now });
    return files;
  }

  /**
   * Plays music into `endpoint` until the returned function is called (or the
   * endpoint closes); `party` names whose place in the music is remembered.
   */
  start(endpoint: MediaEndpoint, tenantId: string, party: string): () => void {
    const key = `${tenantId}/${party}`;
    let stopped = false;
    const loop = async () => {
      let start = this.positions.get(key);
      while (!stopped) {
        const files = this.playlist(tenantId);
        const r = await endpoint.play({ files, ...(start ? { start } : {}) });
        start = undefined;
        if (r.end === 'stopped' && r.position) this.remember(key, r.position);
        // Played out: round again. A file that would not play is skipped; none playable ends it.
        if (r.end === 'done') this.positions.delete(key);
        else if (!(r.end === 'failed' && files.length > 1)) return;
      }
    };
    void loop();
    return () => {
      if (stopped) return;
      stopped = true;
      endpoint.stopPlayback();
    };
  }

  private remember(key: string, position: Position): void {
    this.positions.delete(key);
    this.positions.set(key, position);
    if (this.positions.size > REMEMBERED) {
      const oldest = this.positions.keys().next().value;
      if (oldest !== undefined) this.positions.delete(oldest);
    }
  }
}
