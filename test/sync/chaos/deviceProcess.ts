/**
 * A device of the sync tests in its own process (see ./device.ts), driven over
 * IPC, that can be killed with SIGKILL and restarted from its files.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Backend } from '../../backend/index';
import type { Command, InitMessage } from './device';

const DEVICE_SOURCE = path.join(__dirname, 'device.ts');

/** The device program bundled once per run, so a restart takes a fraction of a second. */
export async function bundleDevice(outDir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = path.join(outDir, 'device.cjs');
  await esbuild.build({ entryPoints: [DEVICE_SOURCE], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error', external: ['better-sqlite3'] });
  return outfile;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class DeviceProcess {
  child: ChildProcess | undefined;
  life = 0;
  private seq = 0;
  private waiting = new Map<number, { resolve: (m: Record<string, unknown>) => void; timer: NodeJS.Timeout }>();
  conflicts: { kind: string; id: string; local?: string }[] = [];
  output = '';

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly backend: Backend,
    private readonly seed: number,
    private readonly secret: string,
    private readonly program: string,
    private readonly engine?: InitMessage['engine'],
  ) {}

  async start(): Promise<void> {
    const child = fork(this.program, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    // CODECRAFT_CHAOS_LOGDIR=<dir> keeps every life's whole output in <dir>/<device>.log.
    const keep = process.env.CODECRAFT_CHAOS_LOGDIR ? path.join(process.env.CODECRAFT_CHAOS_LOGDIR, `${this.name}.log`) : undefined;
    const take = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
      if (keep) appendFileSync(keep, d);
    };
    if (keep) appendFileSync(keep, `--- life ${this.life + 1} ---\n`);
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`device ${this.name} did not start:\n${this.output}`)), 20_000);
      child.on('message', (m: Record<string, unknown>) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'fatal') {
          clearTimeout(timer);
          reject(new Error(`device ${this.name}: ${String(m.error)}`));
        } else if (m.type === 'conflicts') {
          for (const c of m.list as { kind: string; id: string; local?: string }[]) this.conflicts.push(c);
        } else if (m.type === 'done') {
          const w = this.waiting.get(m.seq as number);
          if (w) {
            clearTimeout(w.timer);
            this.waiting.delete(m.seq as number);
            w.resolve(m);
          }
        }
      });
      child.once('exit', () => {
        for (const [, w] of this.waiting) {
          clearTimeout(w.timer);
          w.resolve({ type: 'done', died: true });
        }
        this.waiting.clear();
      });
    });
    const init: InitMessage = {
      type: 'init',
      name: this.name,
      dir: this.dir,
      url: this.backend.url,
      project: this.backend.projectId,
      database: this.backend.databaseId,
      secret: this.secret,
      userId: 'demo',
      ...(this.engine ? { engine: this.engine } : {}),
      seed: this.seed,
      life: this.life,
      timeoutMs: 1500,
    };
    child.send(init);
    await ready;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  send(command: DistributiveOmit<Command, 'seq'>, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    if (!this.alive) return Promise.resolve({ type: 'done', died: true });
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        resolve({ type: 'done', timedOut: true });
      }, timeoutMs);
      this.waiting.set(seq, { resolve, timer });
      this.child!.send({ ...command, seq } as Command);
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    this.life++;
    await this.start();
  }
}

