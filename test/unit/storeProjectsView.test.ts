import * as assert from 'node:assert/strict';
import type { Project } from '../../src/core/model';
import { pendingCountsOf, projectRows, projectTooltip } from '../../src/core/projectsView';
import { relativeTime } from '../../src/core/relativeTime';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;

function project(id: string, extra: Partial<Project> = {}): Project {
  return { $id: id, userId: 'u', title: `T ${id}`, slug: `s-${id}`, framework: 'react', status: 'active', ...extra };
}
const iso = (ms: number) => new Date(ms).toISOString();

describe('projects view rows', () => {
  it('relative times', () => {
    assert.equal(relativeTime(NOW, NOW), 'just now');
    assert.equal(relativeTime(NOW + 30_000, NOW), 'just now', 'slightly in the future');
    assert.equal(relativeTime(NOW - 5 * MIN, NOW), '5 min ago');
    assert.equal(relativeTime(NOW - 59.9 * MIN, NOW), '59 min ago');
    assert.equal(relativeTime(NOW - 3 * H - 10 * MIN, NOW), '3 h ago');
    assert.equal(relativeTime(NOW - 30 * H, NOW), 'yesterday');
    assert.equal(relativeTime(NOW - 4 * D, NOW), '4 days ago');
    assert.equal(relativeTime(Date.parse('2025-01-15T10:00:00.000Z'), NOW), '2025-01-15');
    assert.equal(relativeTime(Number.NEGATIVE_INFINITY, NOW), 'never');
  });

  it('tooltip: one detail per line (Markdown hard breaks), with created and updated dates', () => {
    const p = project('p1', { $createdAt: iso(NOW - 4 * D), $updatedAt: iso(NOW - 2 * H), lastMessageAt: iso(NOW - 2 * H) });
    const tooltip = projectTooltip(p, NOW);
    const lines = tooltip.split('\n\n')[1]!.split('  \n');
    assert.deepEqual(lines.map((l) => l.split(':')[0]), ['Framework', 'Status', 'Slug', 'Last activity', 'Updated', 'Created']);
    // Markdown escapes keep the punctuation literal.
    assert.equal(lines[4], 'Updated: 2 h ago \\(2025\\-06\\-15 10:00 UTC\\)');
    assert.equal(lines[5], 'Created: 4 days ago \\(2025\\-06\\-11 12:00 UTC\\)');
    assert.match(projectTooltip(project('p2'), NOW), /Created: unknown/);
  });

  it('sorts newest activity first (the last message, else the last update, else the app\'s updatedAt), then $id', () => {
    const rows = projectRows(
      [
        project('old', { lastMessageAt: iso(NOW - 10 * D) }),
        project('none-b', { $updatedAt: iso(NOW - 2 * D) }),
        project('new', { lastMessageAt: iso(NOW - 5 * MIN), $updatedAt: iso(NOW - 20 * D) }),
        project('none-a', { $updatedAt: iso(NOW - 2 * D) }),
        project('none-newer', { $updatedAt: iso(NOW - 1 * D) }),
        // Made on this machine a moment ago: no server stamp yet, only the app's own.
        project('local', { updatedAt: iso(NOW - 1 * MIN) }),
        project('bare'),
      ],
      NOW,
    );
    assert.deepEqual(rows.map((r) => r.id), ['local', 'new', 'none-newer', 'none-a', 'none-b', 'old', 'bare']);
    // What each row says agrees with where it is.
    assert.deepEqual(rows.map((r) => r.description.split(' · ')[1]), ['1 min ago', '5 min ago', 'yesterday', '2 days ago', '2 days ago', '10 days ago', 'never']);
  });

  it('adds what waits for the server per project: pending changes and conflicts', () => {
    const counts = pendingCountsOf([
      { projectId: 'p1' },
      { projectId: 'p1', failed: { reason: 'x' } },
      { projectId: 'p1', conflict: { reason: 'changed' } },
      { projectId: 'p2', conflict: { reason: 'changed' } },
      { projectId: 'p2', conflict: { reason: 'deleted' } },
    ]);
    const rows = projectRows([project('p1', { lastMessageAt: iso(NOW - 5 * MIN) }), project('p2', { lastMessageAt: iso(NOW - 6 * MIN) }), project('p3')], NOW, counts);
    assert.deepEqual(rows.map((r) => r.description), ['react · 5 min ago · 2 pending · 1 conflict', 'react · 6 min ago · 2 conflicts', 'react · never']);
  });

  it('builds label, description and a tooltip with the details', () => {
    const [row] = projectRows(
      [project('p1', { title: 'My *App*', framework: 'vue', status: 'archived', slug: 'my-app', description: 'A demo', lastMessageAt: iso(NOW - 3 * H) })],
      NOW,
    );
    assert.equal(row!.label, 'My *App*');
    assert.equal(row!.description, 'vue · 3 h ago');
    assert.equal(row!.contextValue, 'project.archived');
    assert.equal(row!.slug, 'my-app');
    const tooltip = projectTooltip(row!.project, NOW);
    for (const part of ['My \\*App\\*', 'vue', 'archived', 'my\\-app', '3 h ago', 'A demo']) assert.ok(tooltip.includes(part), part);
    const [untitled] = projectRows([project('p2', { title: '  ' })], NOW);
    assert.equal(untitled!.label, 's-p2');
    assert.equal(untitled!.description, 'react · never');
  });
});
