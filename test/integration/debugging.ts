/** extensionTestsPath of one phase: runs debugging/*.test.js in the extension host. */
import { join } from 'node:path';
import { runMochaFiles } from './runMocha';

export function run(): Promise<void> {
  return runMochaFiles(join(__dirname, 'debugging'), 60_000);
}
