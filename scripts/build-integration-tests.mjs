// Bundles the extension-host test suites (test/integration/**/*.ts) into out/test/integration/
// as CommonJS: one file per phase entry (<phase>.js) and per test file (<phase>/*.test.js).
// `vscode` is provided by the extension host; mocha is loaded from node_modules.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const src = 'test/integration';
const out = 'out/test/integration';
/** Each phase: its entry module and the folder of its tests. */
const phases = { index: 'suite', prefill: 'prefill', signin: 'signin', signedin: 'signedin', debugging: 'debugging', conflicts: 'conflicts', production: 'production' };
const tests = (dir) => readdirSync(join(src, dir)).filter((f) => f.endsWith('.test.ts')).map((f) => join(src, dir, f));

rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: Object.entries(phases).flatMap(([entry, dir]) => [join(src, `${entry}.ts`), ...tests(dir)]),
  outbase: src,
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
console.log(`[esbuild] integration tests -> ${out}`);
