/**
 * The chaos run: two devices (child processes, each with its own store) and one
 * backend; a seeded random mix of operations on projects, messages and files
 * with injected faults (errors, rate limits, hangs, dropped sockets, offline
 * windows, late commits, writes racing an update) and devices killed with
 * SIGKILL at random moments and restarted from their files. After healing and
 * a final Sync Now on both, it checks:
 *
 * - both stores equal a raw dump of the backend (read directly);
 * - every acknowledged write is on the server, or was overwritten by a write
 *   whose author had seen it, or is a recorded conflict;
 * - no path exists twice among the documents the extension created;
 * - no change was parked as failed.
 *
 * `npm run chaos -- --seed 7` runs one seed from the command line.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { mulberry32, startBackend, type BackendOptions } from '../../backend/index';
import { dataFields } from '../../../src/core/model';
import { dump } from '../../helpers/device';
import type { OpName, Snapshot, WriteRecord } from './device';
import { bundleDevice, DeviceProcess } from './deviceProcess';

const DEMO = { email: 'demo@codecraft.dev', password: 'codecraft-demo' };

export interface ChaosOptions {
  seed: number;
  ops?: number;
  /** Milliseconds between operations. */
  gapMs?: number;
  log?: (line: string) => void;
  backend?: Partial<BackendOptions>;
}

export interface ChaosResult {
  seed: number;
  ops: Record<string, number>;
  writes: number;
  kills: number;
  faultWindows: Record<string, number>;
  /** Requests the backend answered during the operations (refused connections while offline are not counted). */
  requests: number;
  /** Of which faults were injected into (see runChaos). */
  faulted: number;
  conflicts: number;
  ms: number;
  problems: string[];
}

const OPS: [OpName | 'sync' | 'kill' | 'killMidSync', number][] = [
  ['editFile', 30],
  ['createFile', 10],
  ['deleteFile', 6],
  ['renameFile', 4],
  ['recreateFile', 4],
  ['sendMessage', 16],
  ['createProject', 3],
  ['updateProject', 6],
  ['deleteProject', 2],
  ['sync', 12],
  ['kill', 1],
  ['killMidSync', 1.5],
];

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const rng = mulberry32(o.seed);
  const total = o.ops ?? 500;
  // Appwrite's real abuse limits (counts, buckets, headers) in windows ten times shorter, so a run meets them.
  const backend = await startBackend({ seed: 'demo', abuse: { timeScale: 10 }, ...o.backend });
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `codecraft-chaos-${o.seed}-`));
  const session = () => backend.createSession(DEMO.email, DEMO.password).secret;
  const program = await bundleDevice(root);
  const devices = [
    new DeviceProcess('a', path.join(root, 'a'), backend, o.seed, session(), program),
    new DeviceProcess('b', path.join(root, 'b'), backend, o.seed, session(), program),
  ];
  const result: ChaosResult = { seed: o.seed, ops: {}, writes: 0, kills: 0, faultWindows: {}, requests: 0, faulted: 0, conflicts: 0, ms: 0, problems: [] };
  const writes: WriteRecord[] = [];
  const raceWrites: { id: string; content: string }[] = [];
  let responses = 0;
  let limited = 0;
  backend.onResponse((r) => {
    responses++;
    if (r.status === 429 && !(r.headers['X-RateLimit-Limit'] === '60' && r.headers['X-RateLimit-Remaining'] === '0')) limited++;
  });
  const weightTotal = OPS.reduce((n, [, w]) => n + w, 0);
  const choose = (): (typeof OPS)[number][0] => {
    let x = rng() * weightTotal;
    for (const [name, w] of OPS) if ((x -= w) < 0) return name;
    return 'editFile';
  };
  const window = (name: string) => (result.faultWindows[name] = (result.faultWindows[name] ?? 0) + 1);

  try {
    await Promise.all(devices.map((d) => d.start()));
    const pendingSyncs: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      // Every 20 operations: a new fault window.
      if (i % 20 === 0) {
        await backend.faults.clear();
        const f = rng();
        const seed = (o.seed + i) >>> 0;
        if (f < 0.25) {
          backend.faults.set({ seed, error500: 0.06, error503: 0.06, error429: 0.04, hang: 0.02, error502: 0.05, error504: 0.04, lostAnswer: 0.06, latencyMinMs: 0, latencyMaxMs: 20 });
          window('errors');
        } else if (f < 0.37) {
          backend.faults.set({ seed, drop: 0.3, error503: 0.12, error502: 0.08 });
          window('droppedSockets');
        } else if (f < 0.49) {
          backend.faults.set({ seed, lateCommitMs: 1500, error500: 0.12, lostAnswer: 0.08 });
          window('lateCommits');
        } else if (f < 0.6) {
          void backend.faults.goOffline(300 + Math.floor(rng() * 1200));
          window('offline');
        } else if (f < 0.72) {
          backend.faults.set({ seed, sameMillisecond: 0.5, lostAnswer: 0.1, error504: 0.05 });
          window('sameMillisecond');
        } else if (f < 0.85) {
          // Another writer between a device's read and its update.
          const files = [...dump(backend, 'project_files').values()].filter((d) => d.type === 'file');
          const target = files[Math.floor(rng() * files.length)];
          if (target) {
            backend.faults.onceBeforeUpdate('project_files', target.$id as string, () => {
              const content = `race#${i} ${String(target.path)}`;
              backend.documents.update({ kind: 'key', keyId: 'race' }, backend.databaseId, 'project_files', target.$id as string, { content }, undefined);
              raceWrites.push({ id: target.$id as string, content });
            });
            window('raceHook');
          }
          backend.faults.set({ seed, error503: 0.15, error429: 0.1, hang: 0.03 });
        } else {
          backend.faults.set({ seed, error503: 0.1, error502: 0.05, lostAnswer: 0.05 });
          window('mild');
        }
      }
      const d = devices[Math.floor(rng() * devices.length)]!;
      const what = choose();
      result.ops[what] = (result.ops[what] ?? 0) + 1;
      if (!d.alive) await d.restart();
      if (what === 'kill' || what === 'killMidSync') {
        if (what === 'killMidSync') {
          void d.send({ type: 'sync' });
          await new Promise((r) => setTimeout(r, Math.floor(rng() * 150)));
        }
        await d.kill();
        result.kills++;
        log(`  kill ${d.name}${what === 'killMidSync' ? ' mid-sync' : ''} (op ${i})`);
        const t = Date.now();
        await d.restart();
        log(`    restarted in ${Date.now() - t} ms`);
        continue;
      }
      if (what === 'sync') {
        pendingSyncs.push(d.send({ type: 'sync' }));
        continue;
      }
      const reply = await d.send({ type: 'op', op: what }, 15_000);
      if (reply.error) result.problems.push(`op ${i} ${what} on ${d.name} failed: ${String(reply.error)}`);
      for (const w of (reply.writes as WriteRecord[] | undefined) ?? []) writes.push(w);
      await new Promise((r) => setTimeout(r, o.gapMs ?? 15));
    }

    // Heal: no faults, every device alive, everything pushed and pulled.
    log(`  healing after ${Date.now() - started} ms`);
    const faultLog = backend.faults.log.slice();
    const opResponses = responses;
    const opLimited = limited;
    await backend.faults.goOnline();
    await backend.faults.clear();
    backend.faults.releaseHangs();
    await Promise.allSettled(pendingSyncs);
    for (const d of devices) if (!d.alive) await d.restart();
    // Until nothing waits: a change held back by the real abuse limits goes out when its window
    // resets (up to a minute), so rounds repeat with a pause while anything is pending.
    const settle = async () => {
      const until = Date.now() + 150_000;
      for (let round = 0; ; round++) {
        for (const d of devices) {
          const t = Date.now();
          const r = await d.send({ type: 'sync' }, 60_000);
          log(`  sync ${d.name} in ${Date.now() - t} ms${r.error ? `: ${String(r.error)}` : ''}`);
        }
        const snaps = await Promise.all(devices.map(async (d) => (await d.send({ type: 'snapshot' })).snapshot as Snapshot));
        const pending = snaps.reduce((n, s) => n + s.pending, 0);
        if (pending <= 0 || Date.now() > until) return;
        if (round >= 2) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    await settle();
    // Both devices may hold a conflict over one file, and a change still held back may meet the
    // other's resolution: resolve (taking the server's version) until none is left.
    for (let pass = 0; pass < 3; pass++) {
      let found = 0;
      for (const d of devices) {
        const r = await d.send({ type: 'resolveAll' });
        for (const c of (r.conflicts as { kind: string; id: string; content?: string }[]) ?? []) {
          d.conflicts.push({ kind: c.kind, id: c.id, local: c.content });
          found++;
        }
      }
      await settle();
      if (!found) break;
    }
    // One more full round each so both saw the other's last pushes.
    for (const d of devices) await d.send({ type: 'sync' }, 60_000);
    const snaps = await Promise.all(devices.map(async (d) => (await d.send({ type: 'snapshot' })).snapshot as Snapshot));
    log(`  healed after ${Date.now() - started} ms`);

    // ---- checks
    const server = {
      projects: dump(backend, 'projects'),
      messages: dump(backend, 'messages'),
      files: dump(backend, 'project_files'),
    };
    const liveProjects = new Set(server.projects.keys());
    const scoped = (m: Map<string, Record<string, unknown>>) => new Map([...m].filter(([, d]) => liveProjects.has(d.projectId as string)));
    const expected = { projects: server.projects, messages: scoped(server.messages), files: scoped(server.files) };
    const problems = result.problems;
    devices.forEach((d, i) => {
      const s = snaps[i];
      if (!s) {
        problems.push(`device ${d.name} gave no snapshot`);
        return;
      }
      if (s.pending) problems.push(`device ${d.name} still has ${s.pending} pending change(s) (${s.status})`);
      if (s.conflicts) problems.push(`device ${d.name} still has ${s.conflicts} conflict(s)`);
      for (const f of s.failed) problems.push(`device ${d.name}: ${f.op} of ${f.kind} ${f.id} failed: ${f.failed?.reason}`);
      for (const kind of ['projects', 'messages', 'files'] as const) {
        const mine = new Map((s[kind] as { $id: string }[]).map((x) => [x.$id, x]));
        const want = expected[kind];
        for (const [id, doc] of want) {
          const got = mine.get(id);
          if (!got) problems.push(`device ${d.name} lacks ${kind} ${id} (${String(doc.path ?? doc.title ?? doc.content ?? '')})`);
          else if (JSON.stringify(dataFields(got)) !== JSON.stringify(dataFields(doc))) problems.push(`device ${d.name} has another version of ${kind} ${id}`);
        }
        for (const id of mine.keys()) if (!want.has(id)) problems.push(`device ${d.name} has ${kind} ${id} the server does not`);
      }
    });

    // Every acknowledged write: present, superseded by a write that had seen it, or a recorded conflict.
    const conflictsOf = new Set(devices.flatMap((d) => d.conflicts.map((c) => `${d.name}|${c.kind}|${c.id}`)));
    result.conflicts = conflictsOf.size;
    const seenBy = new Set<string>();
    for (const w of writes) {
      if (w.base !== null) seenBy.add(`${w.kind}|${w.id}|${w.base}`);
      if (w.seen !== undefined) seenBy.add(`${w.kind}|${w.id}|${w.seen}`);
    }
    const recreated = new Set(writes.filter((w) => w.base === null).map((w) => `${w.kind}|${w.id}`));
    const deletedProjects = new Set(writes.filter((w) => w.kind === 'projects' && w.op === 'delete').map((w) => w.id));
    for (const w of writes) {
      if (w.kind !== 'projects' && (deletedProjects.has(w.projectId) || !liveProjects.has(w.projectId))) continue; // its project was deleted
      const doc = w.kind === 'files' ? server.files.get(w.id) : w.kind === 'messages' ? server.messages.get(w.id) : server.projects.get(w.id);
      const conflicted = conflictsOf.has(`${w.device}|${w.kind}|${w.id}`);
      if (w.kind === 'projects') {
        if (w.op === 'delete' ? !doc || conflicted : true) continue; // project metadata is last-writer-wins
        problems.push(`project ${w.id} deleted by ${w.device} is still on the server`);
        continue;
      }
      if (w.op === 'delete') {
        if (!doc || conflicted || recreated.has(`${w.kind}|${w.id}`)) continue;
        const story = writes.filter((x) => x.kind === w.kind && x.id === w.id).map((x) => `${x.device} ${x.op}${x.content ? ` "${x.content.slice(0, 24)}"` : ''}${x === w ? ' ←' : ''}`);
        problems.push(`${w.device} deleted ${w.kind} ${w.id} (${w.path}) but it is still there: ${String(doc.content).slice(0, 60)} [writes: ${story.join('; ')}]`);
        continue;
      }
      const content = doc?.content;
      if (content === w.content || conflicted || seenBy.has(`${w.kind}|${w.id}|${w.content}`)) continue;
      if (!doc && writes.some((x) => x.kind === w.kind && x.id === w.id && x.op === 'delete' && x !== w)) continue; // deleted afterwards by someone
      problems.push(`${w.device}'s ${w.op} of ${w.kind} ${w.id} (${w.path ?? ''}) "${w.content}" was lost: the server has ${doc ? `"${String(content).slice(0, 60)}"` : 'nothing'}`);
    }
    // No path twice among the documents the extension created (ids derived from the path).
    const paths = new Map<string, string>();
    for (const f of server.files.values()) {
      if (!/^f[0-9a-f]{35}$/.test(f.$id as string)) continue;
      const key = `${String(f.projectId)}|${String(f.path)}`;
      if (paths.has(key)) problems.push(`path ${key} exists twice: ${paths.get(key)} and ${String(f.$id)}`);
      paths.set(key, f.$id as string);
    }
    result.writes = writes.length;
    // Injected: every faulted answer (errors, proxy pages, hangs, 429 windows), lost answers and
    // same-millisecond stamps, and the real abuse limits' refusals.
    // Counted over the operations, not the healing that follows them.
    const injected = faultLog.filter((r) => r.outcome !== 'ok' || r.lostAnswer || r.sameMillisecond).length + opLimited;
    result.requests = opResponses;
    result.faulted = injected;
    void raceWrites;
    return result;
  } finally {
    result.ms = Date.now() - started;
    for (const d of devices) {
      if (result.problems.length && process.env.CODECRAFT_CHAOS_DEBUG === '1') console.log(`--- device ${d.name} output ---\n${d.output}`);
      await d.kill();
    }
    await backend.stop();
    await fs.rm(root, { recursive: true, force: true }).catch(() => undefined);
  }
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const seed = Number(arg('seed') ?? 1);
  const ops = Number(arg('ops') ?? 500);
  runChaos({ seed, ops, log: (l) => console.log(l) }).then(
    (r) => {
      console.log(JSON.stringify({ ...r, problems: r.problems.length }, null, 1));
      for (const p of r.problems) console.log(`PROBLEM ${p}`);
      process.exit(r.problems.length ? 1 : 0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
