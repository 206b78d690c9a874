// Exit 0 when node_modules holds every package package-lock.json asks for, at the locked
// version; exit 1 (printing the first mismatches) otherwise. Used by scripts/setup-e2e.sh to
// decide whether `npm ci` is needed without wiping a node_modules that is already right.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const lockPath = join(root, 'package-lock.json');
if (!existsSync(join(root, 'node_modules'))) {
  console.log('node_modules is missing');
  process.exit(1);
}
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const problems = [];
for (const [key, entry] of Object.entries(lock.packages ?? {})) {
  if (!key.startsWith('node_modules/') || entry.link) continue;
  const manifest = join(root, key, 'package.json');
  if (!existsSync(manifest)) {
    // optional packages for another OS/CPU are legitimately absent
    if (!entry.optional) problems.push(`${key} missing`);
    continue;
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  if (entry.version && version !== entry.version) problems.push(`${key} is ${version}, lock says ${entry.version}`);
}
if (problems.length) {
  console.log(`node_modules is out of date (${problems.length} packages), e.g.:\n  ${problems.slice(0, 5).join('\n  ')}`);
  process.exit(1);
}
