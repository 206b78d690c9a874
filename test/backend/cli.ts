import { startBackend } from './index';
import { formatFaultSpec, parseFaultSpec, type FaultSettings } from './src/faults';

function usage(): never {
  console.error(
    'usage: npm run backend -- --port <port> [--data <dir>] [--seed demo|empty] [--faults <spec>] [--no-assistant] [--no-abuse]\n' +
      '  --faults    comma-separated key=value: latency=MS|MIN-MAX, error500=P, error503=P, error429=P, error502=P (HTML),\n' +
      '              error504=P (plain text, after the write), hang=P, lostAnswer=P, sameMillisecond=P, drop=P (realtime),\n' +
      '              lateCommit=MS, rateWindow=MS, seed=N   e.g. "latency=50,error503=0.1,lostAnswer=0.05,seed=42"\n' +
      '  --no-abuse  turn off Appwrite\'s rate limits (on by default, as on Appwrite Cloud)',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let port = 0;
  let dataDir: string | undefined;
  let seed: 'demo' | 'empty' = 'empty';
  let faults: FaultSettings | undefined;
  let assistant = true;
  let abuse = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = args[i + 1];
    if (a === '--no-assistant') {
      assistant = false;
      continue;
    }
    if (a === '--no-abuse') {
      abuse = false;
      continue;
    }
    if (a === '--port' && value !== undefined) port = Number(value);
    else if (a === '--data' && value !== undefined) dataDir = value;
    else if (a === '--seed' && (value === 'demo' || value === 'empty')) seed = value;
    else if (a === '--faults' && value !== undefined) {
      try {
        faults = parseFaultSpec(value);
      } catch (e) {
        console.error((e as Error).message);
        process.exit(2);
      }
    } else if (a === '--help' || a === '-h') usage();
    else {
      console.error(`unknown or incomplete option: ${a}`);
      usage();
    }
    i++;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage();
  const backend = await startBackend({ port, seed, assistant, abuse, ...(dataDir ? { dataDir } : {}), ...(faults ? { faults } : {}) });
  console.log(`CodeCraft backend ready at ${backend.url}`);
  console.log(`  realtime: ${backend.url.replace(/^http/, 'ws')}/realtime`);
  if (faults) console.log(`  faults: ${formatFaultSpec(faults)} (sessions and guests only; API-key requests are never faulted)`);
  console.log(`  assistant stand-in: ${assistant ? 'on' : 'off'}`);
  console.log(`  rate limits: ${abuse ? "on (Appwrite's: 120 creates and 120 updates, 60 deletes a minute per user; --no-abuse turns them off)" : 'off'}`);
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
