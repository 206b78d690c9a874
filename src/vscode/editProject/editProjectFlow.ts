/**
 * "CodeCraft: Edit Project…": title, description, framework and status in one
 * flow of quick inputs, each pre-filled with the project's value, with a step
 * counter and Back. Escape leaves that field as it is and goes on. When the
 * title changed, one more step asks whether the slug should follow it.
 *
 * What the flow returns is only what the user changed, compared with the
 * values it showed: a field changed on another device while the flow was open
 * is not sent back with the old value (last writer wins per field, and an edit
 * never blanks what it did not touch). The asking goes through an EditPrompter:
 * VS Code's quick inputs (quickInputPrompter.ts), scripted answers in tests.
 * No `vscode` import.
 */
import type { Project } from '../../core/model';
import { uniqueSlug, type ProjectFields } from '../../core/sync/localChanges';

export const BACK = Symbol('back');

export type EditFieldId = 'title' | 'description' | 'framework' | 'status';
export type EditStepId = EditFieldId | 'slug';

interface StepBase {
  id: EditStepId;
  /** 1-based, of `totalSteps` (one more when the title changed: the slug question). */
  step: number;
  totalSteps: number;
  title: string;
  /** Names what is asked and what Escape does. */
  prompt: string;
}

export interface TextStep extends StepBase {
  kind: 'text';
  id: EditFieldId;
  placeholder: string;
  /** Pre-filled: the project's value, or what the user typed before going Back. */
  value: string;
  /** Undefined when acceptable, else why not (shown while typing). */
  validate(value: string): string | undefined;
}

export interface ChoiceStep extends StepBase {
  kind: 'choice';
  id: 'slug';
  items: { label: string; detail?: string; value: 'yes' | 'no' }[];
  /** The item focused first. */
  active: 'yes' | 'no';
}

export type EditStep = TextStep | ChoiceStep;

export interface EditPrompter {
  /** The answer (a choice's `value`), BACK for the Back button, or undefined for Escape (leave it unchanged). */
  ask(step: EditStep): Promise<string | typeof BACK | undefined>;
}

/** The limits of the `projects` collection's attributes (appwrite.json). */
const LIMITS = { title: 255, description: 2000, framework: 64, status: 32 } as const;

const FIELD_STEPS: Record<EditFieldId, { label: string; placeholder: string; required: boolean }> = {
  title: { label: 'Title', placeholder: 'e.g. Recipe Box', required: true },
  description: { label: 'Description', placeholder: 'What the project is for (empty for none)', required: false },
  framework: { label: 'Framework', placeholder: 'e.g. react, vue, svelte, next, node', required: true },
  status: { label: 'Status', placeholder: 'e.g. active, archived', required: true },
};

function validator(id: EditFieldId): (value: string) => string | undefined {
  const { label, required } = FIELD_STEPS[id];
  const max = LIMITS[id];
  return (value) => {
    const v = value.trim();
    if (required && !v) return `The ${label.toLowerCase()} cannot be empty (Escape keeps it as it is).`;
    if (v.length > max) return `The ${label.toLowerCase()} can have at most ${max} characters (it has ${v.length}).`;
    return undefined;
  };
}

/** The value of a field as the flow shows it (a missing description is empty). */
function shown(project: Project, id: EditFieldId): string {
  return (project[id] ?? '') as string;
}

/**
 * Asks for the project's details and resolves with the fields the user
 * changed (possibly none). `takenSlugs`: the other projects' slugs, so a new
 * slug is unique.
 */
export async function askProjectEdits(project: Project, takenSlugs: ReadonlySet<string>, prompter: EditPrompter): Promise<ProjectFields> {
  const heading = `Edit Project: ${project.title.trim() || project.slug || project.$id}`;
  const answers = new Map<EditFieldId, string>();
  let slugAnswer: 'yes' | 'no' | undefined;

  const newTitle = () => {
    const t = answers.get('title');
    return t !== undefined && t !== project.title ? t : undefined;
  };
  const proposedSlug = () => {
    const t = newTitle();
    if (t === undefined) return undefined;
    const slug = uniqueSlug(t, takenSlugs);
    return slug === project.slug ? undefined : slug;
  };
  const order = (): EditStepId[] => ['title', ...(proposedSlug() !== undefined ? (['slug'] as const) : []), 'description', 'framework', 'status'];

  const stepFor = (id: EditStepId, step: number, totalSteps: number): EditStep => {
    if (id === 'slug') {
      const slug = proposedSlug()!;
      return {
        kind: 'choice',
        id,
        step,
        totalSteps,
        title: heading,
        prompt: `The title changed. Change the slug "${project.slug}" to "${slug}" too? (Escape keeps it.)`,
        items: [
          { label: `Yes, change the slug to "${slug}"`, detail: 'Links that use the old slug stop working.', value: 'yes' },
          { label: `No, keep "${project.slug}"`, value: 'no' },
        ],
        active: slugAnswer ?? 'no',
      };
    }
    const { label, placeholder } = FIELD_STEPS[id];
    return {
      kind: 'text',
      id,
      step,
      totalSteps,
      title: heading,
      prompt: `${label} (Escape leaves it as it is and goes on)`,
      placeholder,
      value: answers.get(id) ?? shown(project, id),
      validate: validator(id),
    };
  };

  for (let i = 0; i < order().length; ) {
    const steps = order();
    const id = steps[i]!;
    const answer = await prompter.ask(stepFor(id, i + 1, steps.length));
    if (answer === BACK) {
      i = Math.max(0, i - 1);
      continue;
    }
    if (id === 'slug') slugAnswer = answer === 'yes' ? 'yes' : 'no';
    else if (answer === undefined) answers.delete(id);
    else answers.set(id, id === 'description' ? answer.trim() : answer.trim() || shown(project, id));
    i++;
  }

  const fields: ProjectFields = {};
  for (const id of ['title', 'framework', 'status'] as const) {
    const v = answers.get(id);
    if (v !== undefined && v !== project[id]) fields[id] = v;
  }
  const description = answers.get('description');
  if (description !== undefined && description !== shown(project, 'description')) fields.description = description || null;
  const slug = proposedSlug();
  if (slug !== undefined && slugAnswer === 'yes') fields.slug = slug;
  return fields;
}

/** "title and slug", "status": what an edit changed, for the confirmation. */
export function describeEdits(fields: ProjectFields): string {
  const names = Object.keys(fields);
  return names.length <= 1 ? (names[0] ?? 'nothing') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
