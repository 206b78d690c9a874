/**
 * Runs mocha test files inside the extension host. The tests modules given to VS Code
 * (extensionTestsPath) export `run()`, which resolves when every test passed and rejects
 * otherwise; VS Code turns that into the process/automation exit code.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function runMochaFiles(dir: string, timeout = 30_000): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout, reporter: 'spec' });
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files in ${dir}`));
  for (const f of files) mocha.addFile(join(dir, f));
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}
