/** A tenant's own audio files (IVR greetings and prompts): the rows; the WAVs are on disk. */
import type { Kysely } from 'kysely';
import type { AudioFile, Database } from '../schema.js';

export class AudioFileRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  list(): Promise<AudioFile[]> {
    return this.db
      .selectFrom('audioFiles')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .orderBy('name')
      .orderBy('createdAt')
      .execute();
  }

  get(id: string): Promise<AudioFile | undefined> {
    return this.db
      .selectFrom('audioFiles')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The row of a file already written at its final place (`id` chosen by the caller, so the file can be named first). */
  create(f: { id: string; name: string; durationMs: number; sizeBytes: number }): Promise<AudioFile> {
    return this.db
      .insertInto('audioFiles')
      .values({ ...f, tenantId: this.tenantId })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async rename(id: string, name: string): Promise<AudioFile | undefined> {
    return this.db
      .updateTable('audioFiles')
      .set({ name })
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('audioFiles')
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
