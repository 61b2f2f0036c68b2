/**
 * A carrier's trunk as the tests write it: an IP trunk to `host:port` over UDP
 * (the carrier is known by that address), PCMA/PCMU, E.164 without the plus,
 * the caller in P-Asserted-Identity, the DID from the Request-URI. `more` sets
 * anything else (an account, narrower codecs, a channel limit...).
 */
import type { TrunkInput } from '../../src/store/repositories/trunks.js';

export function trunkInput(
  name: string,
  host: string,
  port: number | null,
  more: Partial<TrunkInput> = {},
): TrunkInput {
  return {
    name,
    enabled: true,
    kind: 'ip',
    host,
    port,
    transport: 'UDP',
    username: null,
    authUsername: null,
    realm: null,
    password: null,
    expirySec: 300,
    contactUser: null,
    addresses: [host],
    codecs: ['PCMA', 'PCMU'],
    maxChannels: null,
    numberFormat: 'e164NoPlus',
    country: 'RU',
    areaCode: null,
    callerIdHeader: 'pai',
    didSource: 'requestUri',
    optionsIntervalSec: null,
    tenantIds: null,
    ...more,
  };
}
