import * as vscode from 'vscode';
import { NotFoundError } from '../../core/errors';
import type { Project } from '../../core/model';
import type { CodeCraftContext } from '../context';
import { projectIdOf } from '../chat/chatPanel';
import { askProjectEdits, describeEdits } from './editProjectFlow';

/** A project chosen in a quick pick (title, slug), or undefined when none is there or the user cancelled. */
export async function pickProject(projects: readonly Project[], title: string, placeHolder: string): Promise<string | undefined> {
  if (!projects.length) {
    void vscode.window.showInformationMessage('CodeCraft: there are no projects on this machine yet.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    projects.map((p) => ({ label: p.title.trim() || p.slug || p.$id, description: p.slug, detail: p.description ?? undefined, id: p.$id })),
    { title, placeHolder, matchOnDescription: true },
  );
  return pick?.id;
}

/**
 * "CodeCraft: Edit Project…" (a project's context menu, or the palette with a
 * picker): asks for the details, then writes what changed locally at once and
 * queues it for the server — only the fields the user changed.
 */
export async function editProject(ctx: CodeCraftContext, arg: unknown): Promise<void> {
  const projectId = projectIdOf(arg) ?? (await pickProject(ctx.store.projects(), 'CodeCraft: Edit Project…', 'Choose the project to edit'));
  if (!projectId) return;
  const project = ctx.store.project(projectId);
  if (!project) throw new NotFoundError('That project is no longer on this machine (it was deleted or you signed out).');
  const taken = new Set(ctx.store.projects().filter((p) => p.$id !== projectId).map((p) => p.slug));
  const fields = await askProjectEdits(project, taken, ctx.ui.editPrompter);
  const name = project.title.trim() || project.slug;
  if (!Object.keys(fields).length) {
    void vscode.window.setStatusBarMessage(`CodeCraft: nothing changed in ${name}`, 3000);
    return;
  }
  await ctx.changes.updateProject(projectId, fields);
  ctx.log.for('projects').info(`Edited project ${projectId} (${describeEdits(fields)}); saved locally and queued for the server`);
  void vscode.window.setStatusBarMessage(`$(check) CodeCraft: saved the ${describeEdits(fields)} of ${name}`, 4000);
}
