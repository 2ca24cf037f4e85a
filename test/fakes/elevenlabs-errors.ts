/**
 * ElevenLabs error bodies (reference elevenlabs.md §5 "Error responses"): FastAPI validation
 * errors as `{detail: [{loc, msg, type}]}` for 422, everything else as
 * `{detail: {type, code, message, status, request_id, param}}` where `status` is the legacy field.
 */

export function errorBody(type: string, code: string, message: string, param: string | null = null) {
  return { detail: { type, code, message, status: code, request_id: requestId(), param } };
}

export function validationError(field: string, input: unknown) {
  return { detail: [{ loc: ['body', field], msg: 'Field required', type: 'missing', input }] };
}

export function requestId(): string {
  return crypto.randomUUID().replace(/-/g, '');
}

const byStatus: Record<number, [string, string, string]> = {
  400: ['invalid_request', 'invalid_request', 'The request was invalid.'],
  401: ['authentication_error', 'invalid_api_key', 'Invalid API key'],
  402: ['payment_required', 'insufficient_credits', 'You do not have enough credits for this request.'],
  403: ['authorization_error', 'missing_permissions', 'The API key does not have the required permission.'],
  404: ['not_found', 'not_found', 'The requested resource was not found.'],
  409: ['conflict', 'conflict', 'The resource was modified concurrently.'],
  429: [
    'rate_limit_error',
    'concurrent_limit_exceeded',
    'Too many concurrent requests. Your current subscription is associated with a maximum of 5 concurrent requests.',
  ],
  500: ['internal_error', 'internal_error', 'An internal server error occurred.'],
  503: ['service_unavailable', 'maintenance', 'The service is temporarily unavailable for maintenance.'],
};

/** Default body of a scripted `status` fault. */
export function errorForStatus(status: number): unknown {
  if (status === 422) return validationError('text', null);
  const [type, code, message] = byStatus[status] ?? ['internal_error', `http_${status}`, `HTTP ${status}`];
  const body = errorBody(type, code, message);
  if (status === 429) body.detail.status = 'too_many_concurrent_requests';
  return body;
}
