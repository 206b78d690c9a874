import * as assert from 'node:assert/strict';
import {
  CheckpointSchema,
  compareDocVersion,
  isNewer,
  MessageSchema,
  parseBatch,
  parseOne,
  sameData,
  ProjectFileSchema,
  ProjectSchema,
  schemaFor,
  type Project,
} from '../../src/core/model';

const project = {
  $id: 'p1',
  $createdAt: '2025-01-15T10:00:00.000+00:00',
  $updatedAt: '2025-01-15T15:30:00.000+00:00',
  $permissions: ['read("user:u1")'],
  $collectionId: 'projects',
  $databaseId: 'codecraft',
  userId: 'u1',
  title: 'My Awesome App',
  slug: 'my-awesome-app',
  framework: 'react',
  status: 'active',
  createdAt: '2025-01-15T10:00:00.000Z',
  updatedAt: '2025-01-15T15:30:00.000Z',
  lastMessageAt: '2025-01-15T15:30:00.000Z',
};

describe('model', () => {
  it('accepts the seed shapes, with and without system fields', () => {
    assert.ok(parseOne(ProjectSchema, project).ok);
    const { $createdAt, $updatedAt, $permissions, $collectionId, $databaseId, ...local } = project;
    void [$createdAt, $updatedAt, $permissions, $collectionId, $databaseId];
    assert.ok(parseOne(ProjectSchema, local).ok, 'a document not yet on the server has only $id');
    assert.ok(
      parseOne(MessageSchema, { $id: 'm1', projectId: 'p1', role: 'assistant', content: 'hi', sequence: 2, createdAt: '2025-01-15T10:00:15.000Z' }).ok,
    );
    assert.ok(
      parseOne(ProjectFileSchema, { $id: 'f2', projectId: 'p1', path: 'src/components', type: 'directory', content: null, language: null }).ok,
    );
  });

  it('takes ISO 8601 date-times only, as Appwrite and the web app write them', () => {
    const good = [
      '2025-01-15T10:00:00.000+00:00',
      '2025-01-15T10:00:00.000Z',
      '2025-01-15T10:00:00Z',
      '2025-01-15T10:00Z',
      '2025-01-15T12:00:00.001+02:00',
      '2025-01-15T10:00:00.123456789-05:30',
      '2024-02-29T00:00:00Z',
    ];
    for (const date of good) {
      assert.ok(parseOne(ProjectSchema, { ...project, $updatedAt: date, createdAt: date }).ok, date);
      assert.ok(CheckpointSchema.safeParse({ updatedAt: date, id: 'x' }).success, date);
    }
    const bad = [
      '1',
      '2025',
      '2025-01-15',
      'Wed Jan 15 2025 10:00:00 GMT+0000',
      'January 15, 2025 10:00',
      '2025-01-15 10:00:00Z',
      '2025-01-15T10:00:00',
      '2025-01-15T10:00:00.000+0000',
      '2025-01-15T10:00:00+25:00',
      '2025-13-01T00:00:00Z',
      '2025-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2025-01-15T10:60:00Z',
      ' 2025-01-15T10:00:00Z',
      '',
    ];
    for (const date of bad) {
      assert.ok(!parseOne(ProjectSchema, { ...project, $updatedAt: date }).ok, `$updatedAt ${JSON.stringify(date)}`);
      assert.ok(!parseOne(ProjectSchema, { ...project, lastMessageAt: date }).ok, `lastMessageAt ${JSON.stringify(date)}`);
      assert.ok(!CheckpointSchema.safeParse({ updatedAt: date, id: 'x' }).success, `checkpoint ${JSON.stringify(date)}`);
    }
    assert.ok(parseOne(ProjectSchema, { ...project, lastMessageAt: null }).ok, 'the app’s own dates may be null');
  });

  it('keeps unknown extra fields so a re-save loses nothing', () => {
    const r = parseOne(ProjectSchema, { ...project, color: 'blue' });
    assert.ok(r.ok);
    assert.equal((r.value as Record<string, unknown>).color, 'blue');
  });

  it('is strict on the types of known fields', () => {
    const cases: [unknown, string][] = [
      [{ ...project, title: 42 }, 'title'],
      [{ ...project, $id: undefined }, '$id'],
      [{ ...project, $updatedAt: 'yesterday-ish' }, '$updatedAt'],
      [{ ...project, title: 'x'.repeat(256) }, 'title'],
      [{ ...project, lastMessageAt: 'not a date' }, 'lastMessageAt'],
    ];
    for (const [item, field] of cases) {
      const r = parseOne(ProjectSchema, item);
      assert.ok(!r.ok, field);
      assert.match(r.reason, new RegExp(field.replace('$', '\\$')));
    }
    assert.ok(!parseOne(MessageSchema, { $id: 'm', projectId: 'p', role: 'robot', content: '', sequence: 1 }).ok);
    assert.ok(!parseOne(MessageSchema, { $id: 'm', projectId: 'p', role: 'user', content: '', sequence: 1.5 }).ok);
    assert.ok(!parseOne(ProjectFileSchema, { $id: 'f', projectId: 'p', path: 'a', type: 'symlink' }).ok);
    assert.ok(!parseOne(ProjectSchema, null).ok);
    assert.ok(!parseOne(ProjectSchema, 'project').ok);
  });

  it('parseBatch returns the valid items and the rejected ones with index, id and reason, never throwing', () => {
    const items: unknown[] = [project, { ...project, $id: 'p2', status: 7 }, null, { ...project, $id: 'p3' }, { nope: true }];
    const { valid, rejected } = parseBatch<Project>(ProjectSchema, items);
    assert.deepEqual(valid.map((p) => p.$id), ['p1', 'p3']);
    assert.deepEqual(rejected.map((r) => [r.index, r.id]), [[1, 'p2'], [2, undefined], [4, undefined]]);
    assert.match(rejected[0]!.reason, /status/);
    assert.doesNotThrow(() => parseBatch(ProjectSchema, 'junk' as unknown as unknown[]));
    assert.equal(parseBatch(ProjectSchema, 'junk' as unknown as unknown[]).rejected.length, 1);
  });

  it('schemaFor maps each collection kind to its schema', () => {
    assert.equal(schemaFor('projects'), ProjectSchema);
    assert.equal(schemaFor('messages'), MessageSchema);
    assert.equal(schemaFor('files'), ProjectFileSchema);
  });

  it('orders versions by $updatedAt then $id, ignoring the app’s own dates', () => {
    const a = { $id: 'a', $updatedAt: '2025-01-15T10:00:00.000+00:00', updatedAt: '2030-01-01T00:00:00.000Z' };
    const b = { $id: 'b', $updatedAt: '2025-01-15T10:00:00.001+00:00', updatedAt: '2000-01-01T00:00:00.000Z' };
    assert.ok(isNewer(b, a));
    assert.ok(!isNewer(a, b));
    // Same instant in another notation: tie broken by $id.
    const c = { $id: 'c', $updatedAt: '2025-01-15T12:00:00.001+02:00' };
    assert.ok(compareDocVersion(c, b) > 0);
    assert.equal(compareDocVersion(b, { ...b }), 0);
    // Not yet on the server sorts before anything that is.
    assert.ok(compareDocVersion({ $id: 'z' }, a) < 0);
  });
  it('sameData: datetime attributes compare as instants (the server answers +00:00 for Z), text as text', () => {
    const server = { ...project, createdAt: '2025-01-15T10:00:00.000+00:00', updatedAt: '2025-01-15T15:30:00.000+00:00', lastMessageAt: '2025-01-15T15:30:00.000+00:00' };
    assert.ok(sameData(project, server));
    assert.ok(!sameData(project, { ...server, updatedAt: '2025-01-15T15:30:00.001+00:00' }), 'a millisecond apart');
    assert.ok(!sameData(project, { ...server, title: 'Another' }));
    assert.ok(!sameData(project, { ...server, description: 'added' }), 'a field only one side has');
    const file = { $id: 'f', projectId: 'p1', path: 'when.txt', type: 'file', content: '2025-01-15T10:00:00.000Z' };
    assert.ok(!sameData(file, { ...file, content: '2025-01-15T10:00:00.000+00:00' }), 'content is text, even when it reads as a date');
  });
});
