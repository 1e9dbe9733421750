import { randomBytes } from 'node:crypto';
import type { TestApp } from './test-app';

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A JSON call against a test app. `auth` is a session cookie or a `Bearer` key. */
export async function call<T = Record<string, unknown>>(
  t: TestApp,
  method: string,
  path: string,
  opts: { body?: unknown; cookie?: string; key?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

export const uniqueEmail = (tag = 'user') => `${tag}-${randomBytes(6).toString('hex')}@example.com`;

export interface SignedUpUser {
  id: string;
  email: string;
  password: string;
  cookie: string;
}

/** Signs a new user up through the API; returns their session cookie. */
export async function signUp(t: TestApp, tag = 'user'): Promise<SignedUpUser> {
  const email = uniqueEmail(tag);
  const password = 'correct horse battery staple';
  const res = await fetch(`${t.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const body = (await res.json()) as { data: { id: string } };
  return { id: body.data.id, email, password, cookie };
}

export interface CreatedKey {
  key: string;
  hash: string;
  data: Record<string, unknown>;
}

export async function createKey(
  t: TestApp,
  auth: { cookie?: string; key?: string },
  body: Record<string, unknown> = {},
): Promise<CreatedKey> {
  const res = await call<{ data: { hash: string }; key: string }>(t, 'POST', '/api/v1/keys', {
    ...auth,
    body: { name: 'test key', ...body },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { key: res.body.key, hash: res.body.data.hash, data: res.body.data as unknown as Record<string, unknown> };
}
