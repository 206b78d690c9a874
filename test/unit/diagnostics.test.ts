/**
 * Copy Diagnostics: the report a user pastes into a bug report. Log lines
 * carrying secrets in every shape the extension, Appwrite or a proxy could put
 * them go through the log's ring and the report; none may survive.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { renderDiagnostics, endpointHost, type DiagnosticsInput } from '../../src/vscode/debugging/diagnosticsReport';
import { LOG_RING_LINES, LogRing } from '../../src/vscode/logRing';
import { redact, redactText, REDACTED } from '../../src/vscode/redaction';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');

/** Secrets shaped as the local backend and Appwrite make them. */
const session = Buffer.from(JSON.stringify({ id: 'demo', secret: randomBytes(64).toString('hex') })).toString('base64');
const sessionHex = randomBytes(128).toString('hex');
const apiKey = `standard_${randomBytes(64).toString('hex')}`;
const jwt = [
  Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url'),
  Buffer.from('{"userId":"demo","sessionId":"s1","exp":1750000000}').toString('base64url'),
  randomBytes(32).toString('base64url'),
].join('.');
const password = 'correct horse battery staple';
const shortPassword = 'hunter2!';

/** Each line carries one or more of the secrets, as a log could receive them. */
const LEAKY_LINES: [string, string[]][] = [
  [`request headers X-Appwrite-Session: ${session}`, [session]],
  [`headers {"X-Appwrite-Project":"codecraft","X-Appwrite-Session":"${session}","X-Appwrite-JWT":"${jwt}"}`, [session, jwt]],
  [`x-appwrite-key=${apiKey} (server SDK)`, [apiKey]],
  [`retrying with key ${apiKey}`, [apiKey]],
  [`Authorization: Bearer ${jwt}`, [jwt]],
  [`token ${jwt} expired`, [jwt]],
  [`POST /v1/account/sessions/email {"email":"demo@codecraft.dev","password":"${password}"}`, [password]],
  [`sign-in form email=demo@codecraft.dev&password=${encodeURIComponent(shortPassword)}&remember=1`, [shortPassword, encodeURIComponent(shortPassword)]],
  [`Cookie: a_session_codecraft=${session}; a_session_codecraft_legacy=${session}`, [session]],
  [`Set-Cookie: a_session_codecraft=${sessionHex}; Path=/; HttpOnly`, [sessionHex]],
  [`X-Fallback-Cookies: {"a_session_codecraft":"${session}"}`, [session]],
  [`proxy echoed "{\\"a_session_codecraft\\":\\"${session}\\"}"`, [session]],
  [`the session ${session} was refused`, [session]],
  [`raw secret ${sessionHex}`, [sessionHex]],
  [`connecting to https://demo:${encodeURIComponent(password)}@appwrite.example.com/v1`, [encodeURIComponent(password), password]],
  [`PASSWORD = "${password}"`, [password]],
  [`realtime: wss://x/v1/realtime?project=codecraft&session=${encodeURIComponent(session)}`, [session, encodeURIComponent(session)]],
];

function input(logLines: readonly string[], over: Partial<DiagnosticsInput> = {}): DiagnosticsInput {
  return {
    now: NOW,
    versions: { extension: '0.1.0', vscode: '1.100.3', appName: 'code-server', appHost: 'web', os: 'Linux 6.1.0 (x64)', node: '20.20.2' },
    endpoint: 'https://appwrite.example.com/v1',
    project: 'codecraft',
    database: 'codecraft',
    account: 'signedIn',
    reachability: 'online',
    realtime: 'connected',
    status: {
      state: 'synced',
      pending: 1,
      conflicts: 0,
      lastSync: NOW - 60_000,
      collections: {
        projects: { syncing: false, lastSync: NOW - 60_000, pending: 1, conflicts: 0, failed: 0 },
        messages: { syncing: true, pending: 0, conflicts: 0, failed: 0 },
        files: { syncing: false, error: 'the server cannot be reached', pending: 0, conflicts: 2, failed: 1 },
      },
    },
    settings: { intervalSeconds: 300, pageSize: 100, allProjects: false },
    counts: {
      projects: { stored: 3, pending: 1, conflicts: 0, failed: 0, quarantined: 1 },
      messages: { stored: 42, pending: 0, conflicts: 0, failed: 0, quarantined: 0 },
      files: { stored: 2000, pending: 0, conflicts: 2, failed: 1, quarantined: 3 },
      other: { quarantined: 1 },
    },
    logLines,
    ...over,
  };
}

describe('Copy Diagnostics', () => {
  it('no secret survives: log lines in every shape go through the log ring and the report', () => {
    const ring = new LogRing();
    for (const [line] of LEAKY_LINES) ring.add('info', `[auth] ${line}`);
    // and as arguments, the way a logger call passes objects and errors
    ring.add('error', '[sync] request failed', [{ headers: { 'X-Appwrite-Session': session, cookie: `a_session_codecraft=${session}` }, password }, new Error(`refused ${jwt}`)]);
    const report = renderDiagnostics(input(ring.snapshot()));
    for (const [line, secrets] of LEAKY_LINES) {
      for (const secret of secrets) assert.ok(!report.includes(secret), `a secret survived from: ${line}\n${report}`);
    }
    for (const secret of [session, sessionHex, apiKey, jwt, password, shortPassword]) {
      assert.ok(!report.includes(secret), `${secret.slice(0, 12)}… survived`);
      // nor a telling piece of it
      assert.ok(!report.includes(secret.slice(0, 24)), `the start of ${secret.slice(0, 12)}… survived`);
    }
    assert.ok(report.split(REDACTED).length > LEAKY_LINES.length, 'each line was redacted, not dropped');
    assert.match(report, /\[auth\] request headers X-Appwrite-Session: «redacted»/);
  });

  it('removes the secrets it is given wherever they occur, whatever their shape', () => {
    const odd = 'plain-words-as-a-secret';
    const report = renderDiagnostics(input([`2025-06-15 11:59:00.000 [info] [auth] got ${odd} and ${encodeURIComponent(`${odd}/x`)}`], { knownSecrets: [odd, `${odd}/x`] }));
    assert.ok(!report.includes(odd));
  });

  it('says the versions, the endpoint host (not its path), each collection’s state and counts, and the log lines', () => {
    const report = renderDiagnostics(input(['2025-06-15 11:59:00.000 [info] [sync] round done in 12 ms: 0 change(s) pulled, 1 pushed']));
    assert.match(report, /CodeCraft for VS Code: 0\.1\.0/);
    assert.match(report, /VS Code: 1\.100\.3 \(code-server, web\)/);
    assert.match(report, /OS: Linux 6\.1\.0 \(x64\)/);
    assert.match(report, /Node: 20\.20\.2/);
    assert.match(report, /Endpoint: https:\/\/appwrite\.example\.com \(API path \/v1\)/);
    assert.match(report, /Account: signed in; server online; realtime connected/);
    assert.match(report, /- Projects: synced at \d\d:\d\d, 1 pending/);
    assert.match(report, /- Messages: syncing/);
    assert.match(report, /- Files: failing: the server cannot be reached, 2 conflicts, 1 refused by the server/);
    assert.match(report, /\| files \| 2000 \| 0 \| 2 \| 1 \| 3 \|/);
    assert.match(report, /\| messages \| 42 \| 0 \| 0 \| 0 \| 0 \|/);
    assert.match(report, /Also quarantined: 1 other entry/);
    assert.match(report, /### Log \(last 1 line, times in UTC\)\n\n```\n2025-06-15 11:59:00\.000 \[info\] \[sync\] round done in 12 ms/);
    assert.doesNotMatch(report, /demo@codecraft\.dev/);
  });

  it('replaces e-mail addresses, and a custom API path wherever the endpoint appears in the log', () => {
    const endpoint = 'https://proxy.example.com/t0k3n-in-the-path/v1';
    const report = renderDiagnostics(input([`2025-06-15 11:59:00.000 [info] [auth] Signed in to ${endpoint} (project codecraft) as demo.user+cc@codecraft.dev`], { endpoint }));
    assert.doesNotMatch(report, /t0k3n-in-the-path/);
    assert.doesNotMatch(report, /demo\.user\+cc@codecraft\.dev/);
    assert.match(report, /Signed in to https:\/\/proxy\.example\.com\/«path» \(project codecraft\) as «e-mail»/);
  });

  it('a custom API path is not shown (it could carry a token); no account says so', () => {
    assert.equal(endpointHost('https://proxy.example.com:8443/t0k3n/v1'), 'https://proxy.example.com:8443 (a custom API path, not shown)');
    const report = renderDiagnostics(input([], { endpoint: undefined, project: undefined, counts: undefined, account: 'signedOut', status: { state: 'signedOut', pending: 0, conflicts: 0 } }));
    assert.match(report, /Endpoint: none/);
    assert.match(report, /No account is signed in or remembered on this machine/);
    assert.match(report, /### Log \(last 0 lines/);
  });

  it('the log ring keeps the last 200 lines, oldest first, each redacted and bounded', () => {
    const ring = new LogRing();
    for (let i = 0; i < LOG_RING_LINES + 50; i++) ring.add('debug', `[store] line ${i}`, [], NOW + i);
    const lines = ring.snapshot();
    assert.equal(lines.length, LOG_RING_LINES);
    assert.match(lines[0]!, /^2025-06-15 12:00:00\.050 \[debug\] \[store\] line 50$/);
    assert.match(lines[LOG_RING_LINES - 1]!, /line 249$/);
    ring.add('info', `[auth] ${'x'.repeat(5000)}`);
    assert.match(ring.snapshot().at(-1)!, /… \(5,\d{3} characters\)$/);
    assert.equal(ring.snapshot().length, LOG_RING_LINES);
  });

  it('leaves ordinary log text alone: ids, file ids, paths, times', () => {
    const ordinary = '[sync] pushed update of files f0123456789abcdef0123456789abcdef012 (src/components/RecipeCard.tsx) in project demo-recipe-box at 2025-06-15T12:00:00.000+00:00';
    assert.equal(redactText(ordinary), ordinary);
    assert.equal(redactText('[auth] Session check: the server answered'), '[auth] Session check: the server answered');
  });

  it('objects lose the values of secret-named fields at any depth', () => {
    assert.deepEqual(redact({ a: 1, nested: { sessionSecret: 'x', list: [{ password: 'y' }] }, 'X-Appwrite-Key': 'z' }), {
      a: 1,
      nested: { sessionSecret: REDACTED, list: [{ password: REDACTED }] },
      'X-Appwrite-Key': REDACTED,
    });
  });
});
