/** extensionTestsPath of one phase: runs conflicts/*.test.js in the extension host. */
import { join } from 'node:path';
import { runMochaFiles } from './runMocha';

export function run(): Promise<void> {
  return runMochaFiles(join(__dirname, 'conflicts'), 60_000);
}
