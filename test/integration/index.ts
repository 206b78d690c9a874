/** extensionTestsPath of the assertion phase: runs suite/*.test.js in the extension host. */
import { join } from 'node:path';
import { runMochaFiles } from './runMocha';

export function run(): Promise<void> {
  return runMochaFiles(join(__dirname, 'suite'));
}
