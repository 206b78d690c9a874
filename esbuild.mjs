// Builds the extension (Node, CommonJS) and the webview bundles (browser) into dist/.
//   node esbuild.mjs               development build with sourcemaps
//   node esbuild.mjs --production  minified, no sourcemaps (used by `npm run package`)
//   node esbuild.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { existsSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Logs one line per finished build so `--watch` output is readable. */
const reporter = (name) => ({
  name: 'report',
  setup(build) {
    build.onEnd((result) => {
      const status = result.errors.length ? `failed with ${result.errors.length} error(s)` : 'ok';
      console.log(`[esbuild] ${name}: ${status}`);
    });
  },
});

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // `vscode` is provided by the host; ws's native speed-ups are optional and not shipped.
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    plugins: [reporter('extension')],
  },
];

// Webview bundles: plain browser scripts, one per panel.
for (const [name, entry] of [['chat', 'src/webview/chat/main.ts']]) {
  if (!existsSync(entry)) continue;
  builds.push({
    ...common,
    entryPoints: [entry],
    outfile: `dist/webview/${name}.js`,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    plugins: [reporter(`webview:${name}`)],
  });
}

if (!watch) rmSync('dist', { recursive: true, force: true });

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[esbuild] watching for changes…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
