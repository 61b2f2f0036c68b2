/**
 * Whether an incoming call asks to be answered by itself, on the speaker (an
 * intercom call or a page): RFC 5373 `Answer-Mode: Auto`, or the Call-Info /
 * Alert-Info forms desk phones read (`answer-after=0`, `info=alert-autoanswer`).
 */
export function wantsAutoAnswer(header: (name: string) => string | undefined): boolean {
  if (/^\s*auto\b/i.test(header('Answer-Mode') ?? '')) return true;
  if (/answer-after\s*=\s*0\b/i.test(header('Call-Info') ?? '')) return true;
  return /info\s*=\s*alert-autoanswer/i.test(header('Alert-Info') ?? '');
}
