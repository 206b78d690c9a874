/**
 * `npm run bench`: runs each benchmark module and prints its figures.
 * To add one, create bench/<name>.ts exporting `run(): Promise<Record<string, unknown>>`
 * and add its name below. A module that is missing or throws is reported, not fatal.
 */
const MODULES = ['store'];

async function main(): Promise<void> {
  console.log(`Node ${process.version} on ${process.platform}/${process.arch}`);
  let failed = 0;
  for (const name of MODULES) {
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
