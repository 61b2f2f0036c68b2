/** Checks a body against a schema of the CRM webhook contract as the API publishes it. */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { crmContractDocument } from '../../src/api/integrations/crm-contract.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

/** Validation errors of `body` against `#/components/schemas/<name>` ([] when it conforms). */
export function contractErrors(name: string, body: unknown, doc = crmContractDocument()): string[] {
  const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
  addFormats(ajv);
  // Through JSON, as a CRM reads the published document.
  ajv.addSchema(JSON.parse(JSON.stringify(doc)), 'contract');
  const validate = ajv.compile({ $ref: `contract#/components/schemas/${name}` });
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
