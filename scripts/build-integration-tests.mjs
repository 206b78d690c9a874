// Bundles the extension-host test suite (test/integration/**/*.ts) into out/test/integration/
// as CommonJS: one file per entry (index.js, prefill.js, suite/*.test.js, prefill/*.test.js).
// `vscode` is provided by the extension host; mocha is loaded from node_modules.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const src = 'test/integration';
const out = 'out/test/integration';
const tests = (dir) => readdirSync(join(src, dir)).filter((f) => f.endsWith('.test.ts')).map((f) => join(src, dir, f));

rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [join(src, 'index.ts'), join(src, 'prefill.ts'), ...tests('suite'), ...tests('prefill')],
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
