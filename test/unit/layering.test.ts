/**
 * The dependency direction of ARCHITECTURE.md, checked on every source file:
 *   core/      → only zod and core itself (no vscode, no appwrite, no Node builtins)
 *   shared/    → only zod and shared itself
 *   webview/   → only shared/ and webview itself (no vscode, Node or network packages)
 *   'appwrite' / 'ws'  → only src/infra/appwrite
 *   'vscode'           → only src/vscode and src/extension.ts
 *   'node-appwrite'    → never in src (server SDK, tests only)
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SRC = path.join(ROOT, 'src');

/** Strip comments (keeping strings intact enough for import specifiers). */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Every module specifier a TypeScript/JavaScript source imports, re-exports or requires. */
export function importsOf(source: string): string[] {
  const code = stripComments(source);
  const specs: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]!);
  return specs;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]!);
const pkgOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

/** Layering violations of one file (path relative to the repository, '/'-separated). */
export function violations(file: string, source: string): string[] {
  const out: string[] = [];
  const dir = path.posix.dirname(file);
  const inside = (prefix: string) => file === prefix || file.startsWith(`${prefix}/`);
  for (const spec of importsOf(source)) {
    const relative = spec.startsWith('.');
    const target = relative ? path.posix.normalize(path.posix.join(dir, spec)) : undefined;
    const pkg = relative ? undefined : pkgOf(spec);
    const bad = (why: string) => out.push(`${file}: imports '${spec}' — ${why}`);

    if (pkg === 'vscode' && !(inside('src/vscode') || file === 'src/extension.ts')) bad("only src/vscode and src/extension.ts may import 'vscode'");
    if ((pkg === 'appwrite' || pkg === 'ws') && !inside('src/infra/appwrite')) bad(`only src/infra/appwrite may import '${pkg}'`);
    if (pkg === 'node-appwrite') bad("'node-appwrite' is the server SDK; the extension must not use it");

    if (inside('src/core')) {
      if (relative && !(target === 'src/core' || target!.startsWith('src/core/'))) bad('the core may import only itself and zod');
      if (!relative && pkg !== 'zod') bad('the core may import only itself and zod');
    }
    if (inside('src/shared')) {
      if (relative && !target!.startsWith('src/shared/')) bad('shared may import only itself and zod');
      if (!relative && pkg !== 'zod') bad('shared may import only itself and zod');
    }
    if (inside('src/webview')) {
      if (relative && !(target!.startsWith('src/shared/') || target!.startsWith('src/webview/'))) bad('the webview may import only src/shared and itself');
      if (!relative && isBuiltin(spec)) bad('the webview runs in a browser: no Node builtins');
    }
    if (inside('src/core') && isBuiltin(spec) && !out.some((o) => o.includes(`'${spec}'`))) bad('the core may not use Node builtins');
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(entry.name)) out.push(full);
  }
  return out;
}

describe('layering', () => {
  it('every file under src respects the dependency direction', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.some((f) => f.includes(`${path.sep}core${path.sep}`)), 'found the core sources');
    const all = files.flatMap((f) => violations(path.relative(ROOT, f).split(path.sep).join('/'), readFileSync(f, 'utf8')));
    assert.deepEqual(all, []);
  });

  describe('the scanner itself (so the check above can fail)', () => {
    it('finds every form of import', () => {
      const src = [
        "import * as vscode from 'vscode';",
        "import type { X } from './x';",
        "import {\n  a,\n  b,\n} from \"zod\";",
        "import 'side-effect';",
        "export { y } from '../y';",
        "export * from './z';",
        "const fs = require('node:fs');",
        "const lazy = await import('ws');",
        "// import { gone } from 'commented-out';",
        "/* import nope from 'block-comment'; */",
        "const url = 'https://example.com/v1'; // a comment",
      ].join('\n');
      assert.deepEqual(importsOf(src).sort(), ['../y', './x', './z', 'node:fs', 'side-effect', 'vscode', 'ws', 'zod'].sort());
    });

    it('flags forbidden imports in the core', () => {
      for (const spec of ['vscode', 'appwrite', 'ws', 'node-appwrite', 'node:fs', 'fs', 'path', 'lodash', '../../infra/appwrite/client', '../../../test/x']) {
        assert.notDeepEqual(violations('src/core/store/x.ts', `import x from '${spec}';`), [], spec);
      }
      assert.deepEqual(violations('src/core/store/x.ts', "import { z } from 'zod';\nimport { a } from '../model';\nimport { b } from './record';"), []);
    });

    it('flags vscode, appwrite and ws outside their layers, and the webview reaching out', () => {
      assert.notDeepEqual(violations('src/infra/appwrite/x.ts', "import * as vscode from 'vscode';"), []);
      assert.deepEqual(violations('src/vscode/views/x.ts', "import * as vscode from 'vscode';"), []);
      assert.deepEqual(violations('src/extension.ts', "import * as vscode from 'vscode';"), []);
      assert.notDeepEqual(violations('src/vscode/x.ts', "import { Client } from 'appwrite';"), []);
      assert.notDeepEqual(violations('src/infra/fs/x.ts', "import WebSocket from 'ws';"), []);
      assert.deepEqual(violations('src/infra/appwrite/realtime.ts', "import WebSocket from 'ws';\nimport { Query } from 'appwrite';"), []);
      assert.notDeepEqual(violations('src/webview/chat/main.ts', "import { x } from '../../core/model';"), []);
      assert.notDeepEqual(violations('src/webview/chat/main.ts', "import * as fs from 'node:fs';"), []);
      assert.deepEqual(violations('src/webview/chat/main.ts', "import { x } from '../../shared/protocol';\nimport { y } from './view';"), []);
      assert.notDeepEqual(violations('src/shared/protocol.ts', "import { x } from '../core/model';"), []);
    });
  });
});
