import { startBackend } from './index';

function usage(): never {
  console.error('usage: npm run backend -- --port <port> [--data <dir>] [--seed demo|empty]');
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let port = 0;
  let dataDir: string | undefined;
  let seed: 'demo' | 'empty' = 'empty';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = args[i + 1];
    if (a === '--port' && value !== undefined) port = Number(value);
    else if (a === '--data' && value !== undefined) dataDir = value;
    else if (a === '--seed' && (value === 'demo' || value === 'empty')) seed = value;
    else if (a === '--help' || a === '-h') usage();
    else {
      console.error(`unknown or incomplete option: ${a}`);
      usage();
    }
    i++;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage();
  const backend = await startBackend({ port, seed, ...(dataDir ? { dataDir } : {}) });
  console.log(`CodeCraft backend ready at ${backend.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void backend.stop().then(
      () => {
        console.log(`CodeCraft backend stopped (${signal})`);
        process.exit(0);
      },
      (e: unknown) => {
        console.error(`CodeCraft backend failed to stop: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(`CodeCraft backend failed to start: ${(e as Error).message}`);
  process.exit(1);
});
