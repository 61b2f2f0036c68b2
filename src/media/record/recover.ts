/**
 * Start-up recovery of recordings a crash cut short (DESIGN.md §5: "a half-recorded
 * one is recovered at start"). FileRecorder writes into `.<name>.<random>.part`
 * next to the final name, with placeholder sizes in the WAV header; whatever
 * reached the disk before the crash is audio. Recovery gives each such file its
 * real sizes (whole sample frames only), makes it durable and renames it to the
 * name it was meant to have. Empty ones, and ones whose final name exists
 * already, are removed.
 */
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTIAL_SUFFIX } from '../recorder.js';

export interface RecoveryReport {
  /** Final paths of recordings that were recovered. */
  recovered: string[];
  /** Temporary files removed: no audio, not a WAV file, or the final file already there. */
  removed: string[];
}

/** `.<name>.<12 hex>.part` -> `<name>` */
const PARTIAL = new RegExp(`^\\.(.+)\\.[0-9a-f]{12}${PARTIAL_SUFFIX.replace('.', '\\.')}$`);

/** Where the audio starts and how big a sample frame is, from a header with placeholder sizes. */
function layout(head: Buffer): { dataOffset: number; blockAlign: number } | null {
  if (
    head.length < 12 ||
    head.toString('latin1', 0, 4) !== 'RIFF' ||
    head.toString('latin1', 8, 12) !== 'WAVE'
  )
    return null;
  let pos = 12;
  let blockAlign = 0;
  while (pos + 8 <= head.length) {
    const id = head.toString('latin1', pos, pos + 4);
    const size = head.readUInt32LE(pos + 4);
    if (id === 'data') return blockAlign > 0 ? { dataOffset: pos + 8, blockAlign } : null;
    if (id === 'fmt ' && pos + 22 <= head.length) blockAlign = head.readUInt16LE(pos + 8 + 12);
    pos += 8 + size + (size % 2);
  }
  return null;
}

async function recoverOne(
  dir: string,
  file: string,
  finalName: string,
  report: RecoveryReport,
): Promise<void> {
  const path = join(dir, file);
  const finalPath = join(dir, finalName);
  const exists = await stat(finalPath).then(
    () => true,
    () => false,
  );
  const fh = await open(path, 'r+');
  let keep = false;
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const l = layout(head.subarray(0, bytesRead));
    const size = (await fh.stat()).size;
    if (l && !exists) {
      const dataBytes = Math.floor((size - l.dataOffset) / l.blockAlign) * l.blockAlign;
      if (dataBytes > 0) {
        await fh.truncate(l.dataOffset + dataBytes);
        const sizes = Buffer.alloc(4);
        sizes.writeUInt32LE(l.dataOffset + dataBytes - 8);
        await fh.write(sizes, 0, 4, 4); // RIFF chunk size
        sizes.writeUInt32LE(dataBytes);
        await fh.write(sizes, 0, 4, l.dataOffset - 4); // data chunk size
        await fh.sync();
        keep = true;
      }
    }
  } finally {
    await fh.close();
  }
  if (keep) {
    await rename(path, finalPath);
    report.recovered.push(finalPath);
  } else {
    await unlink(path);
    report.removed.push(path);
  }
}

/** Recovers every unfinished recording in `dir` (not recursive). A missing directory is empty. */
export async function recoverRecordings(dir: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], removed: [] };
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const file of files.sort()) {
    const m = PARTIAL.exec(file);
    if (m) await recoverOne(dir, file, m[1]!, report);
  }
  return report;
}
