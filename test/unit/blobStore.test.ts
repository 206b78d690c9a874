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
