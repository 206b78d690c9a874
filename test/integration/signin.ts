/** extensionTestsPath of one phase: runs signin/*.test.js in the extension host. */
import { join } from 'node:path';
import { runMochaFiles } from './runMocha';

export function run(): Promise<void> {
  return runMochaFiles(join(__dirname, 'signin'));
}
