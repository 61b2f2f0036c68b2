/**
 * Where voicemail lives on disk: `<root>/<tenant>/<mailbox>/<message id>.wav`,
 * greetings in `<root>/<tenant>/<mailbox>/greetings/<kind>.wav`. While a message
 * is being recorded, `<id>.json` beside it holds who called and when, so a
 * recording a crash cut short can be turned into a complete message at start.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GreetingKind } from '../../store/schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

export interface MessageMeta {
  caller: string;
  callerName: string;
  receivedAt: string;
}

export class VoicemailFiles {
  constructor(readonly root: string) {}

  boxDir(tenantId: string, boxId: string): string {
    if (!isUuid(tenantId) || !isUuid(boxId)) throw new Error('voicemail ids must be UUIDs');
    return join(this.root, tenantId, boxId);
  }

  messagePath(tenantId: string, boxId: string, id: string): string {
    if (!isUuid(id)) throw new Error('voicemail ids must be UUIDs');
    return join(this.boxDir(tenantId, boxId), `${id}.wav`);
  }

  metaPath(tenantId: string, boxId: string, id: string): string {
    return join(this.boxDir(tenantId, boxId), `${id}.json`);
  }

  greetingDir(tenantId: string, boxId: string): string {
    return join(this.boxDir(tenantId, boxId), 'greetings');
  }

  greetingPath(tenantId: string, boxId: string, kind: GreetingKind): string {
    return join(this.greetingDir(tenantId, boxId), `${kind}.wav`);
  }

  /** Before recording: the folder exists and the caller's details are on disk. */
  async prepare(tenantId: string, boxId: string, id: string, meta: MessageMeta): Promise<string> {
    await mkdir(this.boxDir(tenantId, boxId), { recursive: true });
    await writeFile(this.metaPath(tenantId, boxId, id), JSON.stringify(meta));
    return this.messagePath(tenantId, boxId, id);
  }

  async readMeta(tenantId: string, boxId: string, id: string): Promise<MessageMeta | null> {
    try {
      const m = JSON.parse(
        await readFile(this.metaPath(tenantId, boxId, id), 'utf8'),
      ) as Partial<MessageMeta>;
      return {
        caller: String(m.caller ?? ''),
        callerName: String(m.callerName ?? ''),
        receivedAt: String(m.receivedAt ?? ''),
      };
    } catch {
      return null;
    }
  }

  async dropMeta(tenantId: string, boxId: string, id: string): Promise<void> {
    await rm(this.metaPath(tenantId, boxId, id), { force: true });
  }

  /** The message's audio and its details file, if any. */
  async remove(tenantId: string, boxId: string, id: string): Promise<void> {
    await rm(this.messagePath(tenantId, boxId, id), { force: true });
    await this.dropMeta(tenantId, boxId, id);
  }
}
