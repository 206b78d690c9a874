import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeBlobStore } from '../../src/infra/fs/blobStore';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

describe('NodeBlobStore', () => {
  let root: string;
  let store: NodeBlobStore;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'codecraft-blobs-'));
    store = new NodeBlobStore(root);
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('writes, reads, sizes, lists, renames and deletes, creating folders', async () => {
    assert.equal(await store.read('ns/a.json'), undefined);
    assert.equal(await store.size('ns/a.json'), undefined);
    assert.deepEqual(await store.list('ns'), []);
    await store.writeAtomic('ns/a.json', enc('hello'));
    assert.equal(dec(await store.read('ns/a.json')), 'hello');
    assert.equal(await store.size('ns/a.json'), 5);
    assert.equal(await fs.readFile(path.join(root, 'ns', 'a.json'), 'utf8'), 'hello');
    await store.writeAtomic('ns/a.json', enc('hi'));
    assert.equal(dec(await store.read('ns/a.json')), 'hi');
    await store.rename('ns/a.json', 'ns/quarantine/1-a.json');
    assert.equal(await store.read('ns/a.json'), undefined);
    assert.equal(dec(await store.read('ns/quarantine/1-a.json')), 'hi');
    assert.deepEqual(await store.list('ns'), ['quarantine']);
    assert.deepEqual(await store.list('ns/quarantine'), ['1-a.json']);
    await store.delete('ns/quarantine/1-a.json');
    await store.delete('ns/quarantine/1-a.json'); // deleting what is absent is fine
    assert.deepEqual(await store.list('ns/quarantine'), []);
    assert.equal(await store.size('ns'), undefined, 'a folder has no blob size');
  });

  it('refuses paths that escape the root', async () => {
    for (const bad of ['../x', 'ns/../../x', '/etc/passwd', 'C:/x', 'a\\..\\..\\x', 'a\0b']) {
      await assert.rejects(store.writeAtomic(bad, enc('x')), /path/i, bad);
      await assert.rejects(store.read(bad), /path/i, bad);
    }
    await assert.rejects(store.rename('ns/a', '../outside'), /escapes/);
    await assert.rejects(fs.access(path.join(path.dirname(root), 'outside')));
  });

  it('a crash between the temp write and the rename leaves the old content', async () => {
    await store.writeAtomic('ns/rec.json', enc('old'));
    let tempContent: string | undefined;
    class CrashingStore extends NodeBlobStore {
      protected override async commitRename(temp: string): Promise<void> {
        tempContent = await fs.readFile(temp, 'utf8');
        throw new Error('crash before rename');
      }
    }
    const crashing = new CrashingStore(root);
    await assert.rejects(crashing.writeAtomic('ns/rec.json', enc('new content')), /crash before rename/);
    assert.equal(tempContent, 'new content', 'the temp file was fully written before the rename');
    assert.equal(dec(await store.read('ns/rec.json')), 'old');
    assert.deepEqual(await fs.readdir(path.join(root, 'ns')), ['rec.json'], 'no temp file left behind');
  });

  it('a temp file left by a real crash is not listed and does not disturb reads', async () => {
    await store.writeAtomic('ns/rec.json', enc('old'));
    await fs.writeFile(path.join(root, 'ns', '.rec.json.123.abcdef.tmp'), 'half');
    assert.deepEqual(await store.list('ns'), ['rec.json']);
    assert.equal(dec(await store.read('ns/rec.json')), 'old');
  });

  it('concurrent atomic writes of one file never interleave', async () => {
    const bodies = Array.from({ length: 10 }, (_, i) => String(i).repeat(100_000));
    await Promise.all(bodies.map((b) => store.writeAtomic('ns/rec.json', enc(b))));
    const final = dec(await store.read('ns/rec.json'))!;
    assert.ok(bodies.includes(final));
    assert.deepEqual(await fs.readdir(path.join(root, 'ns')), ['rec.json']);
  });
});

describe('NodeBlobStore temp files left by interrupted writes', () => {
  let root: string;
  const HOUR = 60 * 60 * 1000;
  const NOW = Date.parse('2025-06-15T12:00:00.000Z');

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'codecraft-blobs-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  /** A file on disk with its modification time `ageMs` before NOW. */
  async function put(rel: string, ageMs: number, body = 'half'): Promise<void> {
    const abs = path.join(root, ...rel.split('/'));
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, body);
    const t = new Date(NOW - ageMs);
    await fs.utimes(abs, t, t);
  }
  const exists = (rel: string) => fs.access(path.join(root, ...rel.split('/'))).then(() => true, () => false);

  it('sweepTempFiles deletes only old temp files of this naming, in every folder, and leaves fresh ones', async () => {
    const store = new NodeBlobStore(root, { now: () => NOW });
    await put('ns/rec.json', 5 * HOUR, 'data');
    await put('ns/.rec.json.123.abcdef012345.tmp', 2 * HOUR);
    await put('ns/quarantine/.x.json.9.0123456789ab.tmp', 3 * HOUR);
    await put('other/.p.files.json.77.ffffffffffff.tmp', HOUR + 1);
    await put('ns/.rec.json.456.fedcba987654.tmp', 10 * 60 * 1000); // another window, writing now
    await put('ns/.hidden.tmp', 5 * HOUR); // not a name writeAtomic makes
    await put('ns/notes.tmp', 5 * HOUR);

    const removed = await store.sweepTempFiles(HOUR);
    assert.deepEqual(removed, ['ns/.rec.json.123.abcdef012345.tmp', 'ns/quarantine/.x.json.9.0123456789ab.tmp', 'other/.p.files.json.77.ffffffffffff.tmp']);
    for (const gone of removed) assert.equal(await exists(gone), false, gone);
    for (const kept of ['ns/rec.json', 'ns/.rec.json.456.fedcba987654.tmp', 'ns/.hidden.tmp', 'ns/notes.tmp']) assert.ok(await exists(kept), kept);
    assert.equal(dec(await store.read('ns/rec.json')), 'data');

    assert.deepEqual(await store.sweepTempFiles(HOUR), [], 'nothing left to sweep');
    assert.deepEqual(await store.sweepTempFiles(0, 'ns'), ['ns/.rec.json.456.fedcba987654.tmp'], 'one folder, any age');
    assert.deepEqual(await store.sweepTempFiles(HOUR, 'missing'), []);
    await assert.rejects(store.sweepTempFiles(-1), /non-negative/);
    await assert.rejects(store.sweepTempFiles(HOUR, '../x'), /escapes/);
  });

  it('the first write into a folder sweeps that folder once, logging what it removed', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
    const store = new NodeBlobStore(root, { now: () => NOW, logger });
    await put('ns/.a.json.1.aaaaaaaaaaaa.tmp', 2 * HOUR);
    await put('ns/.b.json.2.bbbbbbbbbbbb.tmp', 5 * 60 * 1000);
    await put('elsewhere/.c.json.3.cccccccccccc.tmp', 2 * HOUR);

    await store.writeAtomic('ns/a.json', enc('one'));
    assert.deepEqual((await fs.readdir(path.join(root, 'ns'))).sort(), ['.b.json.2.bbbbbbbbbbbb.tmp', 'a.json']);
    assert.ok(await exists('elsewhere/.c.json.3.cccccccccccc.tmp'), 'other folders wait for their own first write');
    assert.deepEqual(lines, ['info Removed 1 temp file(s) left by an interrupted write: ns/.a.json.1.aaaaaaaaaaaa.tmp']);

    // Once per folder: a leftover appearing later stays until the next sweep.
    await put('ns/.d.json.4.dddddddddddd.tmp', 2 * HOUR);
    await store.writeAtomic('ns/a.json', enc('two'));
    assert.ok(await exists('ns/.d.json.4.dddddddddddd.tmp'));
    assert.equal(dec(await store.read('ns/a.json')), 'two');
    assert.equal(lines.length, 1);
  });
});
