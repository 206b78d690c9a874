/**
 * Where the real-VS-Code harness finds and puts things. Everything it installs lives outside
 * the repository (CODECRAFT_CACHE); screenshots and logs go to the git-ignored `.artifacts/`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const EXTENSION_ID = 'codecraft.codecraft-vscode';

export const CS_VERSION = process.env.CS_VERSION || '4.100.3';
/** VS Code version that code-server CS_VERSION embeds (also the version test-electron downloads). */
export const VSCODE_VERSION = process.env.VSCODE_TEST_VERSION || '1.100.3';
export const CACHE = process.env.CODECRAFT_CACHE || join(homedir(), '.cache', 'codecraft-vscode');
export const CS_DIR = join(CACHE, `code-server-${CS_VERSION}`);
export const CS_BIN = join(CS_DIR, 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const ARTIFACTS = join(ROOT, '.artifacts');
export const INTEGRATION_OUT = join(ROOT, 'out', 'test', 'integration');
export const VSIX = join(ROOT, 'dist-vsix', 'codecraft-vscode.vsix');

export function artifactsDir(...parts: string[]): string {
  const dir = join(ARTIFACTS, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A clear sentence naming what is missing, or undefined when code-server + Chromium are usable. */
export function missingPrerequisite(): string | undefined {
  if (!existsSync(CS_BIN)) return `code-server ${CS_VERSION} is not installed in ${CS_DIR}; run \`npm run setup:e2e\``;
  if (!existsSync(join(CS_DIR, '.install-complete'))) return `code-server in ${CS_DIR} is incomplete; run \`npm run setup:e2e\``;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing; run \`npm run setup:e2e\` (Debian package chromium)`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed; run `npm ci`';
  }
  return undefined;
}
