import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { AppError } from './app-error';
import { ERROR_STATUS } from './error-codes';
import { normaliseError, toEnvelope } from './error-envelope';

describe('normaliseError', () => {
  it('keeps a typed error: status from the code table, message, metadata and headers', () => {
    const e = normaliseError(new AppError('rate_limit_exceeded', 'Slow down', { limit: 20 }, { 'retry-after': '3' }));
    expect(e).toMatchObject({ status: 429, code: 'rate_limit_exceeded', message: 'Slow down', internal: false });
    expect(toEnvelope(e)).toEqual({
      error: { code: 429, message: 'Slow down', metadata: { error_type: 'rate_limit_exceeded', limit: 20 } },
    });
    expect(e.headers).toEqual({ 'retry-after': '3' });
  });

  it('puts availability details next to metadata, not in it', () => {
    const availability = { code: 'model_not_found', retryable: false, requested_models: ['acme/x'] };
    const e = normaliseError(new AppError('invalid_request', 'acme/x is not a valid model ID', { availability, provider_name: null }));
    expect(toEnvelope(e)).toEqual({
      error: {
        code: 400,
        message: 'acme/x is not a valid model ID',
        metadata: { error_type: 'invalid_request', provider_name: null },
        availability,
      },
    });
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(normaliseError(new NotFoundException('Cannot GET /x'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(normaliseError(new BadRequestException('nope'))).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('judges Fastify errors wrapped by Nest by their own code', () => {
    const cause = Object.assign(new Error('Body is not valid JSON but content-type is set to application/json'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    const wrapped = new HttpException(cause.message, 400, { cause });
    expect(normaliseError(wrapped)).toMatchObject({ status: 400, code: 'malformed_json', message: 'Request body is not valid JSON' });
    const big = Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(normaliseError(big)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('hides anything unexpected behind a bare 500', () => {
    const e = normaliseError(new TypeError("Cannot read properties of undefined (reading 'db_password')"));
    expect(e).toMatchObject({ status: 500, code: 'server', message: 'Internal server error', internal: true });
    expect(normaliseError(new HttpException('leak', 503)).message).toBe('Internal server error');
    expect(normaliseError('a string').status).toBe(500);
    expect(normaliseError(undefined).status).toBe(500);
  });

  it('answers a dependency that is down, frozen or saturated with 503 and Retry-After, not 500', () => {
    const driver = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    const cases = [
      driver('timeout exceeded when trying to connect'),
      driver('Query read timeout'),
      driver('Connection terminated unexpectedly'),
      driver('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      driver('terminating connection due to administrator command', '57P01'),
      driver('the database system is starting up', '57P03'),
      driver('Command timed out'),
      driver('read ECONNRESET', 'ECONNRESET'),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' }),
      Object.assign(new Error('query failed'), { driverError: driver('the database system is starting up', '57P03') }),
      // TypeORM's QueryFailedError keeps the driver's error.
      Object.assign(new Error('query failed'), { driverError: driver('Query read timeout') }),
    ];
    for (const err of cases) {
      const e = normaliseError(err);
      expect(e).toMatchObject({ status: 503, code: 'service_unavailable', internal: true });
      expect(Number(e.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(normaliseError(new AppError('service_unavailable', 'Sign-in is unavailable')).headers['retry-after']).toBe('2');
    // A query that is wrong is still ours to fix: a 500.
    expect(normaliseError(driver('syntax error at or near "SELEC"', '42601')).status).toBe(500);
    expect(normaliseError(driver('duplicate key', '23505')).status).toBe(500);
  });

  it('every code maps to an error status', () => {
    for (const status of Object.values(ERROR_STATUS)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
