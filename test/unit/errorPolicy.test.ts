import * as assert from 'node:assert/strict';
import {
  CancelledError,
  ConflictError,
  InvalidError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  StorageError,
  TimeoutError,
  UnauthorizedError,
} from '../../src/core/errors';
import { errorFromResponse } from '../../src/infra/appwrite/errors';
import { fileSystemErrorCodeOf, signInFailureOf, uiErrorOf } from '../../src/vscode/errorPolicy';

/** A server answer whose message must never reach the user. */
const RAW = 'Internal detail: table cc_1_projects lock wait timeout exceeded';
const fromServer = (status: number, type?: string) => errorFromResponse(status, { message: RAW, type }, undefined, 'List projects');

describe('errors at the UI boundary', () => {
  it('maps each kind to its action', () => {
    assert.equal(uiErrorOf(new CancelledError()).action, 'silent');
    assert.equal(uiErrorOf(fromServer(401, 'user_unauthorized')).action, 'signIn');
    assert.equal(uiErrorOf(fromServer(409, 'document_update_conflict')).action, 'conflict');
    assert.equal(uiErrorOf(new NetworkError('List failed: connect ECONNREFUSED')).action, 'offline');
    assert.equal(uiErrorOf(new TimeoutError('List timed out')).action, 'offline');
    assert.equal(uiErrorOf(fromServer(503)).action, 'error');
    assert.equal(uiErrorOf(new Error('boom')).action, 'error');
  });

  it('never shows a message the server wrote', () => {
    for (const e of [
      fromServer(400, 'general_query_invalid'),
      fromServer(401, 'user_unauthorized'),
      fromServer(404, 'document_not_found'),
      fromServer(409, 'document_update_conflict'),
      fromServer(429, 'general_rate_limit_exceeded'),
      fromServer(500),
      fromServer(503),
    ]) {
      const ui = uiErrorOf(e);
      assert.ok(!ui.message.includes('lock wait'), `${e.kind}: ${ui.message}`);
      assert.ok(ui.message.length > 10, e.kind);
    }
    assert.match(uiErrorOf(fromServer(400, 'general_query_invalid')).message, /HTTP 400, general_query_invalid/);
    assert.match(uiErrorOf(fromServer(503)).message, /HTTP 503/);
  });

  it('keeps the extension\'s own messages (errors without an HTTP status)', () => {
    assert.equal(uiErrorOf(new StorageError('Could not save files to the local store: disk full')).message, 'Could not save files to the local store: disk full');
    assert.equal(uiErrorOf(new InvalidError('The Appwrite project ID is empty.')).message, 'The Appwrite project ID is empty.');
    assert.equal(uiErrorOf(new NotFoundError('No project p1 on this machine')).message, 'No project p1 on this machine');
  });

  it('says when a rate limit resets', () => {
    const e = new RateLimitedError('x', Date.now() + 30_000, { status: 429 });
    assert.match(uiErrorOf(e).message, /try again in (29|30) s/);
    assert.match(uiErrorOf(new RateLimitedError('x', undefined, { status: 429 })).message, /in a minute/);
  });

  it('gives the file-system provider exact FileSystemError codes', () => {
    assert.equal(fileSystemErrorCodeOf(new NotFoundError('x', { status: 404 })), 'FileNotFound');
    assert.equal(fileSystemErrorCodeOf(new ConflictError('x', undefined, { status: 409, type: 'document_already_exists' })), 'FileExists');
    assert.equal(fileSystemErrorCodeOf(new ConflictError('x', undefined, { status: 409, type: 'document_update_conflict' })), 'NoPermissions');
    assert.equal(fileSystemErrorCodeOf(new UnauthorizedError('x', { status: 401 })), 'NoPermissions');
    assert.equal(fileSystemErrorCodeOf(new InvalidError('path refused')), 'FileNotFound');
    // What the local changes and the file system refuse, by `details.type`.
    assert.equal(fileSystemErrorCodeOf(new ConflictError('x', undefined, { type: 'file_exists' })), 'FileExists');
    assert.equal(fileSystemErrorCodeOf(new InvalidError('x', { type: 'is_directory' })), 'FileIsADirectory');
    assert.equal(fileSystemErrorCodeOf(new InvalidError('x', { type: 'not_a_directory' })), 'FileNotADirectory');
    for (const type of ['not_empty', 'read_only', 'too_large', 'binary', 'unsupported']) {
      assert.equal(fileSystemErrorCodeOf(new InvalidError('x', { type })), 'NoPermissions', type);
    }
    for (const e of [new NetworkError('x'), new TimeoutError('x'), new ServerError('x'), new StorageError('x'), new CancelledError(), new Error('bug')]) {
      assert.equal(fileSystemErrorCodeOf(e), 'Unavailable', String(e));
    }
  });

  describe('sign-in failures', () => {
    const at = (e: unknown) => signInFailureOf(e, 'https://appwrite.example.com/v1', 'codecraft');

    it('wrong password: our words, retry at the password', () => {
      const f = at(new UnauthorizedError('Sign in failed: the e-mail or password is not right.', { status: 401, type: 'user_invalid_credentials' }));
      assert.deepEqual(f, { message: 'Sign in failed: the e-mail or password is not right.', retryAt: 'password' });
    });

    it('unreachable or silent endpoint: retry at the endpoint, naming it', () => {
      const f = at(new NetworkError('Sign in failed: getaddrinfo ENOTFOUND appwrite.example.com'));
      assert.equal(f.retryAt, 'endpoint');
      assert.match(f.message, /Could not reach https:\/\/appwrite\.example\.com\/v1/);
      assert.equal(at(new TimeoutError('timed out')).retryAt, 'endpoint');
    });

    it('plain http:// off this machine: the refusal, at the endpoint', () => {
      const f = at(new InvalidError('Refusing plain http:// to example.com: …', { type: 'endpoint_insecure' }));
      assert.equal(f.retryAt, 'endpoint');
      assert.match(f.message, /Refusing plain http/);
    });

    it('unknown project: retry at the project ID', () => {
      const f = at(fromServer(404, 'project_not_found'));
      assert.equal(f.retryAt, 'project');
      assert.match(f.message, /no Appwrite project "codecraft"/);
      assert.ok(!f.message.includes('lock wait'));
    });

    it('a 404 without a type: the endpoint is not an Appwrite API', () => {
      assert.equal(at(new NotFoundError('x', { status: 404 })).retryAt, 'endpoint');
    });

    it('anything else: a message without server text', () => {
      const f = at(fromServer(500));
      assert.match(f.message, /^Sign in failed: The CodeCraft server had a problem \(HTTP 500\)/);
    });
  });
});
