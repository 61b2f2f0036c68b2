/**
 * Date header (RFC 3261 §20.17, §25.1): only the RFC 1123 form in GMT is allowed.
 *   SIP-date = wkday "," SP date1 SP time SP "GMT"
 *   date1    = 2DIGIT SP month SP 4DIGIT;  time = 2DIGIT ":" 2DIGIT ":" 2DIGIT
 * "EST" or any other zone is invalid (RFC 4475 §3.1.2.12 baddate). The pattern is
 * anchored and has no nested quantifiers, so it runs in linear time.
 */
const SIP_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

/** True when the (trimmed) value is a valid SIP-date. */
export function isValidSipDate(value: string): boolean {
  return SIP_DATE.test(value);
}
