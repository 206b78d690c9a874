/**
 * Changing projects and files from the views: New Project, Rename and Delete
 * of a project, Open Project as Workspace Folder; New File, New Folder,
 * Rename and Delete in the Files view. Projects change through the local
 * changes (the store at once, then the outbox); files through the codecraft:
 * file system (so VS Code's editors and Explorer hear of it), which writes
 * through the same local changes. Failures go to the error boundary (the
 * caller in commands.ts).
 */
import * as vscode from 'vscode';
import { InvalidError } from '../core/errors';
import { baseName, joinPath, normalizePath, parentPath } from '../core/paths';
import { signInInteractively } from './auth/authCommands';
import type { CodeCraftContext } from './context';
import { Commands, type EditCommandId } from './ids';
import type { FileNodeLike } from './views/filesTreeProvider';
import { fileUri } from './views/filesTreeProvider';
import type { ProjectRowLike } from './views/projectsTreeProvider';

type Handler = (ctx: CodeCraftContext, ...args: unknown[]) => unknown;

/** Frameworks offered by New Project (the `framework` attribute); "Other…" asks for a name. */
export const FRAMEWORKS: readonly { value: string; label: string }[] = [
  { value: 'react', label: 'React' },
  { value: 'nextjs', label: 'Next.js' },
  { value: 'vue', label: 'Vue' },
  { value: 'nuxt', label: 'Nuxt' },
  { value: 'svelte', label: 'Svelte' },
  { value: 'angular', label: 'Angular' },
  { value: 'node', label: 'Node.js' },
  { value: 'vanilla', label: 'HTML, CSS and JavaScript' },
];
const OTHER = '\u0000other';
const MAX_TITLE = 255;
const MAX_FRAMEWORK = 64;
/** Deleting more files than this, or any folder, asks first. */
const CONFIRM_MORE_THAN = 1;

export const editHandlers: Record<EditCommandId, Handler> = {
  [Commands.newProject]: newProject,
  [Commands.renameProject]: (ctx, row) => renameProject(ctx, row),
  [Commands.deleteProject]: (ctx, row) => deleteProject(ctx, row),
  [Commands.openProjectAsWorkspaceFolder]: (ctx, row) => openAsWorkspaceFolder(ctx, row),
  [Commands.newFile]: (ctx, node) => newEntry(ctx, node, 'file'),
  [Commands.newFolder]: (ctx, node) => newEntry(ctx, node, 'directory'),
  [Commands.renameFile]: (ctx, node) => renameEntry(ctx, node),
  [Commands.deleteFile]: (ctx, node, nodes) => deleteEntries(ctx, node, nodes),
};

/** Changes need an account (signed out, everything is read-only): offers Sign In. Resolves true when signed in. */
async function signedIn(ctx: CodeCraftContext, what: string): Promise<boolean> {
  if (ctx.account.state.kind !== 'signedOut') return true;
  const pick = await ctx.ui.dialogs.show('info', `CodeCraft: sign in to ${what}. Until then projects and files are shown as saved on this machine.`, {}, 'Sign In');
  if (pick === 'Sign In') return (await signInInteractively(ctx)) !== undefined;
  return false;
}

function projectIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  if (arg && typeof arg === 'object' && typeof (arg as ProjectRowLike).id === 'string' && (arg as ProjectRowLike).project) return (arg as ProjectRowLike).id;
  return undefined;
}

function isFileNode(arg: unknown): arg is FileNodeLike {
  return !!arg && typeof arg === 'object' && typeof (arg as FileNodeLike).projectId === 'string' && typeof (arg as FileNodeLike).path === 'string';
}

function titleProblem(value: string): string | undefined {
  if (!value.trim()) return 'A project needs a title.';
  if (value.trim().length > MAX_TITLE) return `At most ${MAX_TITLE} characters.`;
  return undefined;
}

// ---------------------------------------------------------------- projects

async function newProject(ctx: CodeCraftContext): Promise<void> {
  if (!(await signedIn(ctx, 'create projects'))) return;
  const title = await ctx.ui.questions.text({
    title: 'New CodeCraft Project (1/2)',
    prompt: 'Title of the new project',
    placeholder: 'e.g. Weather Dashboard',
    validate: titleProblem,
  });
  if (title === undefined) return;
  let framework = await ctx.ui.questions.pick({
    title: 'New CodeCraft Project (2/2)',
    placeholder: `Framework of "${title.trim()}"`,
    items: [...FRAMEWORKS.map((f) => ({ label: f.label, description: f.value, value: f.value })), { label: 'Other…', description: 'type its name', value: OTHER }],
  });
  if (framework === OTHER) {
    framework = await ctx.ui.questions.text({
      title: 'New CodeCraft Project (2/2)',
      prompt: 'Framework of the new project',
      placeholder: 'e.g. solid',
      validate: (v) => (!v.trim() ? 'Name the framework.' : v.trim().length > MAX_FRAMEWORK ? `At most ${MAX_FRAMEWORK} characters.` : undefined),
    });
  }
  if (framework === undefined) return;
  const project = await ctx.changes.createProject({ title: title.trim(), framework: framework.trim().toLowerCase() });
  ctx.log.for('projects').info(`New project "${project.title}" (slug ${project.slug}, ${project.framework})`);
  await vscode.commands.executeCommand(Commands.selectProject, project.$id);
  void vscode.window.setStatusBarMessage(`$(add) Created CodeCraft project ${project.title} (${project.slug})`, 5000);
}

async function renameProject(ctx: CodeCraftContext, arg: unknown): Promise<void> {
  const id = projectIdOf(arg);
  const project = id ? ctx.store.project(id) : undefined;
  if (!project || !(await signedIn(ctx, 'rename projects'))) return;
  const title = await ctx.ui.questions.text({
    title: `Rename ${project.title}`,
    prompt: 'New title of the project (its slug stays as it is)',
    value: project.title,
    selection: [0, project.title.length],
    validate: titleProblem,
  });
  if (title === undefined || title.trim() === project.title) return;
  await ctx.changes.updateProject(project.$id, { title: title.trim() });
  ctx.log.for('projects').info(`Renamed project ${project.$id} to "${title.trim()}"`);
}

async function deleteProject(ctx: CodeCraftContext, arg: unknown): Promise<void> {
  const id = projectIdOf(arg);
  const project = id ? ctx.store.project(id) : undefined;
  if (!project || !(await signedIn(ctx, 'delete projects'))) return;
  const [files, messages] = await Promise.all([ctx.store.loadFiles(project.$id), ctx.store.loadMessages(project.$id)]);
  const fileCount = files.filter((f) => f.type === 'file').length;
  const what = [plural(fileCount, 'file'), plural(messages.length, 'message')].join(' and ');
  const pick = await ctx.ui.dialogs.show(
    'warning',
    `Delete the project "${project.title}"?`,
    {
      modal: true,
      detail: `Its ${what} go with it — from this machine now, and from the CodeCraft server when it syncs. This cannot be undone.`,
    },
    'Delete',
  );
  if (pick !== 'Delete') return;
  await ctx.changes.deleteProject(project.$id);
  ctx.log.for('projects').info(`Deleted project "${project.title}" (${project.$id}) with ${what}`);
  void vscode.window.setStatusBarMessage(`$(trash) Deleted CodeCraft project ${project.title}`, 5000);
}

/** Adds `codecraft://<projectId>/` to the workspace, so the Explorer, tabs and breadcrumbs work on it. */
async function openAsWorkspaceFolder(ctx: CodeCraftContext, arg: unknown): Promise<void> {
  let id = projectIdOf(arg);
  if (!id) {
    const projects = ctx.projects.rows();
    if (!projects.length) {
      void ctx.ui.dialogs.show('info', 'CodeCraft: there are no projects on this machine yet.', {});
      return;
    }
    id = await ctx.ui.questions.pick({
      title: 'Open Project as Workspace Folder',
      placeholder: 'Project to add to the workspace',
      items: projects.map((r) => ({ label: r.label, description: r.description, value: r.id })),
    });
  }
  const project = id ? ctx.store.project(id) : undefined;
  if (!project) return;
  const uri = fileUri(project.$id, '');
  const folders = vscode.workspace.workspaceFolders ?? [];
  const existing = folders.find((f) => f.uri.toString() === uri.toString());
  if (existing) {
    await vscode.commands.executeCommand('workbench.view.explorer');
    return;
  }
  ctx.sync.track(project.$id);
  // Added at the end: replacing the first folder would restart every extension (VS Code's rule).
  const added = vscode.workspace.updateWorkspaceFolders(folders.length, 0, { uri, name: `${project.title} (CodeCraft)` });
  if (!added) throw new InvalidError(`VS Code did not add ${project.title} to the workspace`);
  ctx.log.for('projects').info(`Added project ${project.$id} to the workspace as ${uri.toString()}`);
  await vscode.commands.executeCommand('workbench.view.explorer');
}

// ---------------------------------------------------------------- files

/** Where a new entry goes: the folder clicked, the folder of the file clicked, or the selected project's top level. */
function targetFolder(ctx: CodeCraftContext, arg: unknown): { projectId: string; folder: string } | undefined {
  if (isFileNode(arg)) return { projectId: arg.projectId, folder: arg.type === 'directory' ? arg.path : parentPath(arg.path) };
  const projectId = ctx.files.projectId();
  return projectId ? { projectId, folder: '' } : undefined;
}

/** Why `name` cannot be created in `folder`, or undefined. Names may hold '/' for folders below. */
function nameProblem(folder: string, name: string): string | undefined {
  if (!name.trim()) return 'Give it a name.';
  if (name.startsWith('/')) return 'A name inside the project, not an absolute path.';
  const r = normalizePath(joinPath(folder, name));
  return r.ok ? undefined : `Not a usable name: ${r.reason}.`;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return false;
    throw e;
  }
}

async function newEntry(ctx: CodeCraftContext, arg: unknown, type: 'file' | 'directory'): Promise<void> {
  const target = targetFolder(ctx, arg);
  if (!target || !(await signedIn(ctx, type === 'file' ? 'create files' : 'create folders'))) return;
  const { projectId, folder } = target;
  const project = ctx.store.project(projectId);
  const where = folder ? `${folder}/` : `the top of ${project?.title ?? projectId}`;
  const name = await ctx.ui.questions.text({
    title: type === 'file' ? 'New File' : 'New Folder',
    prompt: `Name of the new ${type === 'file' ? 'file' : 'folder'} in ${where} (use / for folders below)`,
    placeholder: type === 'file' ? 'e.g. src/utils.ts' : 'e.g. components',
    validate: (v) => nameProblem(folder, v),
  });
  if (name === undefined) return;
  const path = (normalizePath(joinPath(folder, name.trim())) as { ok: true; path: string }).path;
  const uri = fileUri(projectId, path);
  if (await exists(uri)) {
    void ctx.ui.dialogs.show('warning', `CodeCraft: ${path} already exists in ${project?.title ?? projectId}.`, {});
    return;
  }
  if (type === 'directory') {
    await vscode.workspace.fs.createDirectory(uri);
    return;
  }
  await vscode.workspace.fs.writeFile(uri, new Uint8Array());
  await vscode.window.showTextDocument(uri, { preview: false });
}

async function renameEntry(ctx: CodeCraftContext, arg: unknown): Promise<void> {
  if (!isFileNode(arg) || !(await signedIn(ctx, 'rename files'))) return;
  const name = baseName(arg.path);
  const folder = parentPath(arg.path);
  const dot = arg.type === 'file' ? name.lastIndexOf('.') : -1;
  const answer = await ctx.ui.questions.text({
    title: `Rename ${arg.path}`,
    prompt: `New name of the ${arg.type === 'file' ? 'file' : 'folder'} (use / to move it into a folder)`,
    value: name,
    selection: [0, dot > 0 ? dot : name.length],
    validate: (v) => nameProblem(folder, v),
  });
  if (answer === undefined || answer.trim() === name) return;
  const to = (normalizePath(joinPath(folder, answer.trim())) as { ok: true; path: string }).path;
  const from = fileUri(arg.projectId, arg.path);
  const target = fileUri(arg.projectId, to);
  if (await exists(target)) {
    void ctx.ui.dialogs.show('warning', `CodeCraft: ${to} already exists; nothing was renamed.`, {});
    return;
  }
  // A workspace edit moves open editors along with the file; it goes through the codecraft: file system.
  const edit = new vscode.WorkspaceEdit();
  edit.renameFile(from, target, { overwrite: false });
  if (!(await vscode.workspace.applyEdit(edit))) {
    // The edit says only that it failed: the file system's own error says why.
    await vscode.workspace.fs.rename(from, target, { overwrite: false });
  }
  ctx.log.for('files').info(`Renamed ${arg.path} to ${to} in project ${arg.projectId}`);
}

async function deleteEntries(ctx: CodeCraftContext, arg: unknown, many: unknown): Promise<void> {
  if (!isFileNode(arg)) return;
  const selected = Array.isArray(many) ? many.filter(isFileNode) : [];
  // The clicked row alone, unless it is part of a selection (then the whole selection).
  const nodes = selected.some((n) => n.projectId === arg.projectId && n.path === arg.path) ? selected : [arg];
  // Nothing under a folder that is deleted anyway.
  const roots = nodes.filter((n) => !nodes.some((m) => m !== n && m.type === 'directory' && m.projectId === n.projectId && n.path.startsWith(`${m.path}/`)));
  if (!(await signedIn(ctx, 'delete files'))) return;
  const folders = roots.filter((n) => n.type === 'directory');
  if (folders.length || roots.length > CONFIRM_MORE_THAN) {
    const files = await ctx.store.loadFiles(arg.projectId);
    const inside = files.filter((f) => f.type === 'file' && roots.some((r) => f.path === r.path || f.path.startsWith(`${r.path}/`))).length;
    const names = roots.slice(0, 8).map((n) => (n.type === 'directory' ? `${n.path}/` : n.path));
    const message = roots.length === 1 ? `Delete the folder ${names[0]} and everything in it?` : `Delete these ${roots.length} items?`;
    const pick = await ctx.ui.dialogs.show(
      'warning',
      message,
      {
        modal: true,
        detail: `${roots.length > 1 ? `${names.join('\n')}${roots.length > names.length ? `\n… and ${roots.length - names.length} more` : ''}\n\n` : ''}${plural(inside, 'file')} go — from this machine now, and from the CodeCraft server when it syncs.`,
      },
      'Delete',
    );
    if (pick !== 'Delete') return;
  }
  for (const n of roots) await vscode.workspace.fs.delete(fileUri(n.projectId, n.path), { recursive: true, useTrash: false });
  ctx.log.for('files').info(`Deleted ${roots.map((n) => n.path).join(', ')} in project ${arg.projectId}`);
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}
