import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** The .vsix holds only these (the .vscodeignore allow-list). */
const allowed = [/^dist\/extension\.js$/, /^dist\/webview\/[\w.-]+\.(js|css)$/, /^media\/(screenshots\/)?[\w.-]+$/, /^package\.json$/, /^README\.md$/, /^CHANGELOG\.md$/, /^LICENSE$/];
const required = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'media/codecraft.svg', 'media/codecraft.png'];

describe('packaging', function () {
  this.timeout(60_000);

  it('packs exactly the allow-list: bundles, media, manifest, README, CHANGELOG, LICENSE', () => {
    const vsce = join(root, 'node_modules', '.bin', 'vsce');
    const out = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
    const files = out.split('\n').map((l) => l.trim()).filter(Boolean);
    for (const f of files) assert.ok(allowed.some((re) => re.test(f)), `${f} must not be in the .vsix`);
    for (const f of required) assert.ok(files.includes(f), `${f} missing from the .vsix`);
    // Source maps, sources, tests and dependencies never ship.
    assert.ok(!files.some((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/')));
    if (existsSync(join(root, 'dist', 'extension.js'))) assert.ok(files.includes('dist/extension.js'));
  });
});
