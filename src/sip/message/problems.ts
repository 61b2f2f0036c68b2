/**
 * What went wrong while reading a message: the reason and the status a UAS answers
 * (400 Bad Request, 505 Version Not Supported, 413 too large).
 */

export interface Failure {
  reason: string;
  status: 400 | 505 | 413;
}

/** Collects the first problem of a message; later ones are usually consequences of it. */
export class Problems {
  failure: Failure | null = null;
  /** Whether the top Via parsed: without it no response can be sent (§18.2.2). */
  viaOk = false;

  note(reason: string, status: 400 | 505 | 413 = 400): void {
    if (this.failure === null) this.failure = { reason, status };
  }
}
