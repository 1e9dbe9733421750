import { SUPPORTED_PARAMETERS } from '../catalog/catalog-file';

/** The body fields a client actually sent, in OpenRouter's supported_parameters vocabulary. */
export function requestParams(body: Record<string, unknown>): string[] {
  const used: string[] = SUPPORTED_PARAMETERS.filter((p) => p !== 'structured_outputs' && body[p] !== undefined && body[p] !== null);
  if ((body.response_format as { type?: string } | undefined)?.type === 'json_schema') used.push('structured_outputs');
  return used;
}
