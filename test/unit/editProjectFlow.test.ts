import * as assert from 'node:assert/strict';
import type { Project } from '../../src/core/model';
import { askProjectEdits, BACK, describeEdits, type EditPrompter, type EditStep } from '../../src/vscode/editProject/editProjectFlow';

const project: Project = {
  $id: 'p1',
  userId: 'u1',
  title: 'Recipe Box',
  slug: 'recipe-box',
  description: 'Save and search recipes',
  framework: 'react',
  status: 'active',
};

type Answer = string | null | typeof BACK;

function scripted(answers: Answer[]): EditPrompter & { asked: EditStep[] } {
  const asked: EditStep[] = [];
  return {
    asked,
    async ask(step) {
      asked.push(step);
      assert.ok(answers.length, `no answer left for step ${step.id}`);
      const a = answers.shift()!;
      return a === null ? undefined : a;
    },
  };
}

const steps = (p: { asked: EditStep[] }) => p.asked.map((s) => `${s.id} ${s.step}/${s.totalSteps}`);
const value = (s: EditStep | undefined) => (s?.kind === 'text' ? s.value : undefined);

describe('Edit Project: the flow of quick inputs', () => {
  it('asks title, description, framework and status, each pre-filled, with a step counter; Escape everywhere changes nothing', async () => {
    const p = scripted([null, null, null, null]);
    assert.deepEqual(await askProjectEdits(project, new Set(), p), {});
    assert.deepEqual(steps(p), ['title 1/4', 'description 2/4', 'framework 3/4', 'status 4/4']);
    assert.deepEqual(p.asked.map(value), ['Recipe Box', 'Save and search recipes', 'react', 'active']);
    assert.ok(p.asked.every((s) => s.title === 'Edit Project: Recipe Box'));
  });

  it('Enter on a pre-filled value is no change either: only what differs is returned', async () => {
    const p = scripted(['Recipe Box', 'Save and search recipes', 'vue', 'active']);
    assert.deepEqual(await askProjectEdits(project, new Set(), p), { framework: 'vue' });
  });

  it('a new title adds the slug question (step 2 of 5); the slug follows only on "yes"', async () => {
    const no = scripted(['Cook Book', 'no', null, null, null]);
    assert.deepEqual(await askProjectEdits(project, new Set(), no), { title: 'Cook Book' });
    assert.deepEqual(steps(no), ['title 1/4', 'slug 2/5', 'description 3/5', 'framework 4/5', 'status 5/5']);
    const question = no.asked[1]!;
    assert.equal(question.kind, 'choice');
    assert.match(question.prompt, /"recipe-box" to "cook-book"/);
    assert.equal(question.kind === 'choice' && question.active, 'no', 'keeping the slug is the default');

    const yes = scripted(['Cook Book', 'yes', null, null, null]);
    assert.deepEqual(await askProjectEdits(project, new Set(), yes), { title: 'Cook Book', slug: 'cook-book' });
    const escaped = scripted(['Cook Book', null, null, null, null]);
    assert.deepEqual(await askProjectEdits(project, new Set(), escaped), { title: 'Cook Book' }, 'Escape keeps the slug');
  });

  it('a new slug is unique among the other projects; a title giving the same slug asks nothing', async () => {
    const p = scripted(['Cook Book', 'yes', null, null, null]);
    assert.deepEqual(await askProjectEdits(project, new Set(['cook-book', 'cook-book-2']), p), { title: 'Cook Book', slug: 'cook-book-3' });
    const same = scripted(['Recipe  Box!', null, null, null]);
    assert.deepEqual(await askProjectEdits(project, new Set(), same), { title: 'Recipe  Box!' });
    assert.deepEqual(steps(same), ['title 1/4', 'description 2/4', 'framework 3/4', 'status 4/4']);
  });

  it('Back returns to the previous step with what was typed; taking the title back drops the slug question', async () => {
    const p = scripted(['Cook Book', 'yes', BACK, BACK, 'Recipe Box', 'Tasty', BACK, 'Tastier', null, 'done']);
    assert.deepEqual(await askProjectEdits(project, new Set(), p), { description: 'Tastier', status: 'done' });
    assert.deepEqual(steps(p), [
      'title 1/4', 'slug 2/5', 'description 3/5', 'slug 2/5', 'title 1/5',
      'description 2/4', 'framework 3/4', 'description 2/4', 'framework 3/4', 'status 4/4',
    ]);
    assert.equal(value(p.asked[4]), 'Cook Book', 'Back shows what was typed');
    assert.equal(value(p.asked[7]), 'Tasty');
  });

  it('an emptied description is removed (null); required fields refuse empty and over-long values', async () => {
    const p = scripted([null, '   ', null, null]);
    assert.deepEqual(await askProjectEdits(project, new Set(), p), { description: null });
    const [title, description, framework, status] = p.asked as Extract<EditStep, { kind: 'text' }>[];
    assert.match(title!.validate('  ') ?? '', /cannot be empty/);
    assert.equal(title!.validate('New'), undefined);
    assert.match(title!.validate('x'.repeat(256)) ?? '', /at most 255/);
    assert.equal(description!.validate(''), undefined);
    assert.match(description!.validate('x'.repeat(2001)) ?? '', /at most 2000/);
    assert.match(framework!.validate('') ?? '', /cannot be empty/);
    assert.match(status!.validate('x'.repeat(33)) ?? '', /at most 32/);
  });

  it('a project without a description shows it empty, and leaving it empty changes nothing', async () => {
    const p = scripted([null, '', null, null]);
    assert.deepEqual(await askProjectEdits({ ...project, description: null }, new Set(), p), {});
    assert.equal(value(p.asked[1]), '');
  });

  it('names what changed for the confirmation', () => {
    assert.equal(describeEdits({ title: 'a' }), 'title');
    assert.equal(describeEdits({ title: 'a', slug: 'a', status: 'b' }), 'title, slug and status');
  });
});
