/**
 * `npm start`, as a newcomer runs it: it builds, starts the local backend with the demo seed and
 * code-server with the extension loaded and pointed at that backend, prints the URL and the demo
 * account; Ctrl+C (SIGINT to its process group, as a terminal sends it) stops all of it.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { launchBrowser, type Browser } from '../harness/browser';
import { ROOT, artifactsDir, missingPrerequisite } from '../harness/paths';
import { alive } from '../harness/processes';
import * as wb from '../harness/workbench';
import { DEMO } from '../integration/fixtures';

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', function () {
  let home: string;
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  let output = '';

  before(() => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(missing);
    home = mkdtempSync(join(tmpdir(), 'ccstart-'));
  });

  after(async () => {
    if (browser) await browser.close();
    // Only if the test failed half-way: the group npm start runs in.
    if (child?.pid && alive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('starts the backend and VS Code with the extension, prints the URL and the demo account; Ctrl+C stops everything', async () => {
    const started = Date.now();
    child = spawn('npm', ['start', '--', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, CODECRAFT_DEV_HOME: home, CODECRAFT_START_EDITOR: 'code-server' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 120_000;
    while (!output.includes('Press Ctrl+C to stop')) {
      if (Date.now() > deadline) assert.fail(`npm start did not get ready:\n${output}`);
      if (child.exitCode !== null) assert.fail(`npm start exited with ${child.exitCode}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`      (npm start ready after ${Date.now() - started} ms)`);
    const workbenchUrl = /VS Code:\s+(http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(output)?.[1];
    const backendUrl = /Backend:\s+(http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(output)?.[1];
    assert.ok(workbenchUrl && backendUrl, output);
    assert.match(output, new RegExp(`e-mail ${DEMO.email} and password ${DEMO.password}`));
    const backendPort = Number(new URL(backendUrl).port);
    const csPort = Number(new URL(workbenchUrl).port);
    const csPid = Number(readFileSync(join(home, 'code-server', 'code-server.pid'), 'utf8'));
    assert.ok(existsSync(join(home, 'backend')), 'the backend keeps its data in the dev folder');

    // The extension is loaded from this folder and pointed at the backend: Sign In offers its URL.
    browser = await launchBrowser({ profileDir: join(home, 'browser'), shotsDir: artifactsDir('e2e') });
    const page = await browser.newPage();
    await page.goto(workbenchUrl);
    await page.locator('.statusbar').waitFor({ timeout: 90_000 });
    await wb.openViewContainer(page, 'CodeCraft');
    const welcome = page.locator('.sidebar .pane:has(h3.title:text-is("Projects")) .welcome-view-content');
    await welcome.getByRole('button', { name: 'Sign In' }).click();
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: 30_000 });
    assert.equal(await input.inputValue(), backendUrl);
    await browser.shot(page, 'npm-start');
    await browser.close();
    browser = undefined;

    // Ctrl+C: the terminal signals the whole foreground process group.
    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    assert.notEqual(code, 'hung', `npm start did not stop on Ctrl+C:\n${output}`);
    assert.match(output, /stopped the backend/);
    assert.match(output, /stopped code-server/);
    assert.equal(await listening(backendPort), false, 'the backend port is closed');
    assert.equal(await listening(csPort), false, 'the code-server port is closed');
    assert.equal(alive(csPid), false, 'code-server is gone');
    assert.equal(existsSync(join(home, 'code-server', 'code-server.pid')), false);
  });
});
