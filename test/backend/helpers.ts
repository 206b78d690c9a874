import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AppwriteException, Client } from 'appwrite';
import * as sdk from 'node-appwrite';
import type { Backend, ResponseRecord } from './index';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Appwrite's OpenAPI spec: `CODECRAFT_APPWRITE_SPEC`, else `../shared/appwrite/` beside the repository. */
export const SPEC_PATH =
  process.env.CODECRAFT_APPWRITE_SPEC || path.resolve(REPO_ROOT, '..', 'shared', 'appwrite', 'appwrite-1.6.2-open-api3-1.6.x-client.json');

type Spec = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

/** Validates response bodies against the response models of Appwrite's own OpenAPI spec (1.6.2, client). */
export class SpecValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly spec: Spec) {
    const copy = JSON.parse(JSON.stringify(spec)) as Spec;
    // The spec declares error.code a string, but Appwrite servers send the HTTP status as a number
    // (and the SDK reads the status from the response line); accept both.
    const errorProps = copy.components.schemas.error!.properties as Record<string, { type: unknown }>;
    errorProps.code!.type = ['string', 'integer'];
    // With select, Appwrite 1.6 returns only the selected fields: a variant of `document` without required system fields.
    copy.components.schemas.selectedDocument = { ...copy.components.schemas.document!, required: [] };
    copy.components.schemas.selectedDocumentList = {
      ...copy.components.schemas.documentList!,
      properties: {
        total: (copy.components.schemas.documentList!.properties as Record<string, unknown>).total,
        documents: { type: 'array', items: { $ref: '#/components/schemas/selectedDocument' } },
      },
    };
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...copy, $id: 'spec' } as Record<string, unknown>);
  }

  validator(model: string): ValidateFunction {
    let v = this.cache.get(model);
    if (!v) {
      v = this.ajv.compile({ $ref: `spec#/components/schemas/${model}` });
      this.cache.set(model, v);
    }
    return v;
  }

  /** Returns a list of problems (empty when the body matches the model). */
  check(model: string, body: unknown): string[] {
    const v = this.validator(model);
    if (v(body)) return [];
    return (v.errors ?? []).map((e) => `${model}${e.instancePath} ${e.message ?? ''}`);
  }

  /** The model the spec documents for a route, method and status; null for an empty body (204). */
  modelFor(route: string, method: string, status: number): string | null | undefined {
    if (status >= 400) return 'error';
    const op = this.spec.paths[route]?.[method.toLowerCase()];
    if (!op) return undefined;
    const response = op.responses[String(status)];
    if (!response) return undefined;
    const ref = response.content?.['application/json']?.schema.$ref;
    return ref ? ref.split('/').pop()! : null;
  }
}

let cachedValidator: SpecValidator | null | undefined;

/**
 * Loads the spec validator from a path. A missing file is null (with the reason printed) on a
 * developer's machine, but in CI (`CI` set) it fails the run: the check never switches itself off there.
 */
export function loadSpecValidator(specPath: string, ci: boolean): SpecValidator | null {
  if (!existsSync(specPath)) {
    if (ci) {
      throw new Error(`Appwrite's OpenAPI spec is missing at ${specPath}: CI checks every response against it, so the run fails (set CODECRAFT_APPWRITE_SPEC to its path).`);
    }
    console.log(`    (response validation skipped: Appwrite OpenAPI spec not found at ${specPath}; in CI this fails the run)`);
    return null;
  }
  return new SpecValidator(JSON.parse(readFileSync(specPath, 'utf8')) as Spec);
}

/** Whether the environment is CI (`CI` set to anything but '', '0' or 'false'). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** The spec validator, or null (with the reason printed once) when the spec file is absent outside CI. */
export function specValidator(): SpecValidator | null {
  if (cachedValidator !== undefined) return cachedValidator;
  cachedValidator = loadSpecValidator(SPEC_PATH, isCi());
  return cachedValidator;
}

/** Explicitly validates one body against a spec model (no-op when the spec file is absent). */
export function expectModel(model: string, body: unknown): void {
  const v = specValidator();
  if (!v) return;
  const problems = v.check(model, body);
  assert.deepEqual(problems, [], `response does not match spec model "${model}": ${problems.join('; ')}`);
}

function usesSelect(url: string): boolean {
  const u = new URL(url, 'http://x');
  for (const [k, v] of u.searchParams) if (k.startsWith('queries') && v.includes('"select"')) return true;
  return false;
}

/**
 * Checks every response the backend sends against the spec: the model documented for the route and
 * status (the error model for 4xx/5xx, no body for 204). Call `assertClean()` after each test.
 */
export function watchResponses(backend: Backend): { assertClean(): void; count(): number; stop(): void } {
  const problems: string[] = [];
  let checked = 0;
  const v = specValidator();
  const stop = backend.onResponse((r: ResponseRecord) => {
    if (!v) return;
    if (r.text !== undefined) return; // a proxy-style page from the fault injector, not Appwrite's
    checked++;
    const model = r.route ? v.modelFor(r.route, r.method, r.status) : r.status >= 400 ? 'error' : undefined;
    if (model === undefined) {
      // Server-API routes (users, index creation) are not in the client spec.
      if (r.route && !r.route.startsWith('/users') && !r.route.endsWith('/indexes')) problems.push(`${r.method} ${r.url} → ${r.status}: not documented in the spec`);
      return;
    }
    if (model === null) {
      if (r.body !== undefined) problems.push(`${r.method} ${r.url} → ${r.status}: expected an empty body`);
      return;
    }
    let effective = model;
    if (usesSelect(r.url) && model === 'documentList') effective = 'selectedDocumentList';
    if (usesSelect(r.url) && model === 'document') effective = 'selectedDocument';
    for (const p of v.check(effective, r.body)) problems.push(`${r.method} ${r.url} → ${r.status}: ${p}`);
  });
  return {
    assertClean() {
      const copy = problems.splice(0);
      assert.deepEqual(copy, [], `responses not matching the Appwrite spec:\n${copy.join('\n')}`);
    },
    count: () => checked,
    stop,
  };
}

/** Signs in with fetch (the Web SDK cannot keep a session under Node) and returns the session secret. */
export async function signIn(backend: Backend, email: string, password: string): Promise<{ secret: string; response: Response; body: Record<string, unknown> }> {
  const response = await fetch(`${backend.url}/account/sessions/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-appwrite-project': backend.projectId, 'x-appwrite-response-format': '1.6.0' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(body)}`);
  const fallback = response.headers.get('x-fallback-cookies');
  let secret = fallback ? (JSON.parse(fallback) as Record<string, string>)[`a_session_${backend.projectId}`] : undefined;
  if (!secret) {
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`a_session_${backend.projectId}=`));
    secret = cookie ? decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!) : undefined;
  }
  if (!secret) throw new Error('sign-in returned no session secret');
  return { secret, response, body };
}

/** A Web SDK client for the backend, signed in when a secret is given. */
export function webClient(backend: Backend, secret?: string): Client {
  const client = new Client().setEndpoint(backend.url).setProject(backend.projectId);
  if (secret) client.setSession(secret);
  return client;
}

/** A node-appwrite client with the backend's full-access API key. */
export function serverClient(backend: Backend): sdk.Client {
  return new sdk.Client().setEndpoint(backend.url).setProject(backend.projectId).setKey(backend.apiKey);
}

/** Creates a user and signs them in; returns id, secret and a signed-in Web SDK client. */
export async function newUser(backend: Backend, email: string, password = 'password-1234'): Promise<{ id: string; secret: string; client: Client }> {
  const user = backend.createUser(email, password, email.split('@')[0]);
  const { secret } = await signIn(backend, email, password);
  return { id: user.id, secret, client: webClient(backend, secret) };
}

/** Raw REST call with the Web SDK's headers (for what the SDK cannot send, e.g. X-Appwrite-Timestamp). */
export async function rest(
  backend: Backend,
  method: string,
  pathAndQuery: string,
  opts: { secret?: string; key?: boolean; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = {
    'x-appwrite-project': backend.projectId,
    'x-appwrite-response-format': '1.6.0',
    'x-sdk-name': 'Web',
    'x-sdk-platform': 'client',
    'x-sdk-language': 'web',
    ...opts.headers,
  };
  if (opts.secret) headers['x-appwrite-session'] = opts.secret;
  if (opts.key) headers['x-appwrite-key'] = backend.apiKey;
  const init: RequestInit = { method, headers };
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(`${backend.url}${pathAndQuery}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

/** Awaits a promise that must reject with an AppwriteException of this status and type. */
export async function expectAppwriteError(promise: Promise<unknown>, code: number, type: string): Promise<AppwriteException> {
  try {
    await promise;
  } catch (e) {
    const err = e as AppwriteException & { code: number; type: string };
    assert.equal(typeof err.code, 'number', `not an AppwriteException: ${String(e)}`);
    assert.equal(`${err.code} ${err.type}`, `${code} ${type}`, err.message);
    return err as AppwriteException;
  }
  assert.fail(`expected ${code} ${type}, but the call succeeded`);
}

export function docsPath(collectionId: string, documentId?: string): string {
  return `/databases/codecraft/collections/${collectionId}/documents${documentId ? `/${encodeURIComponent(documentId)}` : ''}`;
}

export function queryString(queries: string[]): string {
  return queries.map((q, i) => `queries[${i}]=${encodeURIComponent(q)}`).join('&');
}

export const DB = 'codecraft';

export function projectData(userId: string, n = 1): Record<string, unknown> {
  return { userId, title: `Project ${n}`, slug: `project-${n}`, framework: 'react', status: 'active' };
}
