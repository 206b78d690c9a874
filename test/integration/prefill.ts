/**
 * extensionTestsPath of the first phase: writes the test identity and projects into the
 * extension's local store through its own API. The runner then reloads the workbench (a fresh
 * extension host, same user data) and runs index.ts against that state.
 */
import { join } from 'node:path';
import { runMochaFiles } from './runMocha';

export function run(): Promise<void> {
  return runMochaFiles(join(__dirname, 'prefill'));
}
