/**
 * `npm run bench`: runs every benchmark module in this folder (bench/<name>.ts
 * exporting `run(): Promise<Record<string, unknown>>`), store first, and prints
 * their figures. `npm run bench -- store` runs only the named ones. A module
 * that is missing, exports no run() or throws is reported, not fatal.
 */
import { readdirSync } from 'node:fs';

/** Run first, in this order; any other module in the folder follows alphabetically. */
const PREFERRED = ['store'];

function discover(): string[] {
  const found = readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3));
  return [...PREFERRED, ...found.filter((n) => !PREFERRED.includes(n)).sort()];
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : discover();
  console.log(`Node ${process.version} on ${process.platform}/${process.arch}`);
  let failed = 0;
  for (const name of names) {
    console.log(`\n== ${name} ==`);
    try {
      const mod = (await import(`./${name}`)) as { run?: () => Promise<Record<string, unknown>> };
      if (typeof mod.run !== 'function') throw new Error('exports no run()');
      await mod.run();
    } catch (e) {
      failed++;
      console.log(`bench ${name}: not run — ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (failed) console.log(`\n${failed} benchmark module(s) could not run`);
}

void main();
