/**
 * Typed outcomes of SDP handling. Each error says what the SIP side should answer:
 * a body that is not SDP is a malformed request (400); an SDP we understand but cannot
 * use is 488 Not Acceptable Here with a Warning (RFC 3261 §21.4.26, §20.43); an answer
 * that does not fit our offer arrives in a 2xx or ACK and can only end the call.
 */

/** RFC 3261 §20.43 warning codes about session descriptions that we emit. */
export type WarningCode = 301 | 302 | 304 | 305 | 399;

export interface SdpWarning {
  readonly code: WarningCode;
  /** Text for the Warning header's quoted warn-text. */
  readonly text: string;
}

export const WARNINGS = {
  301: 'Incompatible network address formats',
  302: 'Incompatible transport protocol',
  304: 'Media type not available',
  305: 'Incompatible media format',
  399: 'Miscellaneous warning',
} as const satisfies Record<WarningCode, string>;

export type SdpError =
  | {
      readonly code: 'malformed';
      readonly status: 400;
      readonly message: string;
      /** 1-based line of the body at fault, when one is. */
      readonly line: number | null;
    }
  | {
      readonly code: 'not-acceptable';
      readonly status: 488;
      readonly message: string;
      readonly warning: SdpWarning;
    }
  | {
      /** The peer's answer breaks RFC 3264 §6 against our offer, or leaves nothing usable. */
      readonly code: 'answer-mismatch';
      readonly status: null;
      readonly message: string;
    };

export interface SdpFailure {
  readonly ok: false;
  readonly error: SdpError;
}

export type SdpResult<T> = { readonly ok: true; readonly value: T } | SdpFailure;

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function malformed(message: string, line: number | null = null): SdpFailure {
  return { ok: false, error: { code: 'malformed', status: 400, message, line } };
}

export function notAcceptable(warning: WarningCode, message: string): SdpFailure {
  return {
    ok: false,
    error: {
      code: 'not-acceptable',
      status: 488,
      message,
      warning: { code: warning, text: WARNINGS[warning] },
    },
  };
}

export function answerMismatch(message: string): SdpFailure {
  return { ok: false, error: { code: 'answer-mismatch', status: null, message } };
}
