/**
 * The user's changes: each is applied to the local store and queued in the
 * durable outbox in one step, before the caller calls it saved; the sync
 * engine pushes it when it can. Errors are typed (NotFound, Conflict for
 * "already exists", Invalid) so the file system and the commands can map
 * them to VS Code's own.
 */
import { ConflictError, InvalidError, NotFoundError } from '../errors';
import { fileIdFor } from '../fileIds';
import { dataFields, type AnyDoc, type CollectionKind, type Message, type Project, type ProjectFile } from '../model';
import { baseName, isAncestor, normalizePath } from '../paths';
import type { Clock, Logger } from '../ports';
import type { LocalIntent, LocalStore } from '../store';

export type ProjectFields = Partial<Pick<Project, 'title' | 'slug' | 'description' | 'framework' | 'status'>>;

export interface LocalChangesOptions {
  store: LocalStore;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** The signed-in user, written into new documents. */
  userId: () => string | undefined;
  /** A new random document id (Appwrite's format); default: 20 hex characters like ID.unique(). */
  newId?: () => string;
  /** Told after each change is durable, so the engine can push it. */
  onQueued?: () => void;
}

/** Appwrite's ID.unique(): the time in hex, then random hex, 20 characters. */
export function uniqueId(now = Date.now()): string {
  const sec = Math.floor(now / 1000);
  const ms = now % 1000;
  let id = sec.toString(16) + ms.toString(16).padStart(5, '0');
  while (id.length < 20) id += Math.floor(Math.random() * 16).toString(16);
  return id.slice(0, 20);
}

/** A URL slug of a title: lower case letters, digits and single dashes. */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'project';
}

/** The slug of a title that no slug in `taken` has: `my-app`, else `my-app-2`, `my-app-3`… */
export function uniqueSlug(title: string, taken: ReadonlySet<string>): string {
  const base = slugify(title);
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

const LANGUAGES: Record<string, string> = {
  ts: 'typescript', tsx: 'typescript', js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  json: 'json', md: 'markdown', css: 'css', scss: 'scss', html: 'html', vue: 'vue', svelte: 'svelte', py: 'python',
  go: 'go', rs: 'rust', java: 'java', yml: 'yaml', yaml: 'yaml', sh: 'shellscript', sql: 'sql', txt: 'plaintext',
};

/** The language a new file is tagged with, from its extension. */
export function languageOf(path: string): string | null {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return null;
  return LANGUAGES[path.slice(dot + 1).toLowerCase()] ?? null;
}

function checkPath(path: string): string {
  const r = normalizePath(path);
  if (!r.ok) throw new InvalidError(`"${path}" is not a usable file path: ${r.reason}`);
  return r.path;
}

export class LocalChanges {
  private readonly store: LocalStore;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly o: LocalChangesOptions) {
    this.store = o.store;
    this.now = () => o.clock.now();
    this.newId = o.newId ?? (() => uniqueId(this.now()));
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private user(): string {
    const id = this.o.userId() ?? this.store.identity?.userId;
    if (!id) throw new InvalidError('Sign in to CodeCraft to make changes');
    return id;
  }

  private async record(intents: LocalIntent[]): Promise<void> {
    if (!intents.length) return;
    await this.store.recordLocal(intents);
    this.o.onQueued?.();
  }

  // ---------------------------------------------------------------- projects

  async createProject(input: { title: string; framework: string; description?: string | null; status?: string }): Promise<Project> {
    const title = input.title.trim();
    if (!title) throw new InvalidError('A project needs a title');
    const slug = uniqueSlug(title, new Set(this.store.projects().map((p) => p.slug)));
    const now = this.iso();
    const project: Project = {
      $id: this.newId(),
      userId: this.user(),
      title,
      slug,
      description: input.description ?? null,
      framework: input.framework,
      status: input.status ?? 'active',
      createdAt: now,
      updatedAt: now,
      lastMessageAt: null,
    };
    await this.record([{ kind: 'projects', id: project.$id, projectId: project.$id, op: 'create', doc: project, server: undefined }]);
    this.o.logger.info(`Created project "${title}" (${project.$id}) locally; it is queued for the server`);
    return project;
  }

  /** Last writer wins per field: only the fields given are sent, so a field changed elsewhere survives. */
  async updateProject(projectId: string, fields: ProjectFields): Promise<Project> {
    const current = this.store.project(projectId);
    if (!current) throw new NotFoundError(`Project ${projectId} is not in the local store`);
    const changed = (Object.keys(fields) as (keyof ProjectFields)[]).filter((k) => fields[k] !== undefined && fields[k] !== current[k]);
    if (!changed.length) return current;
    const next = { ...current, ...fields, updatedAt: this.iso() } as Project;
    await this.record([
      {
        kind: 'projects',
        id: projectId,
        projectId,
        op: 'update',
        doc: next,
        server: await this.store.serverCopy('projects', projectId),
        fields: [...changed, 'updatedAt'],
      },
    ]);
    return next;
  }

  /**
   * The project goes at once here; the server gets its delete first, then its
   * messages' and files' (which nothing shows any more).
   */
  async deleteProject(projectId: string): Promise<void> {
    const server = await this.store.serverCopy('projects', projectId);
    if (!this.store.project(projectId) && !server) throw new NotFoundError(`Project ${projectId} is not in the local store`);
    const [messages, files] = await Promise.all([this.store.serverItems('messages', projectId), this.store.serverItems('files', projectId)]);
    const intents: LocalIntent[] = [{ kind: 'projects', id: projectId, projectId, op: 'delete', doc: null, server }];
    for (const m of messages) intents.push({ kind: 'messages', id: m.$id, projectId, op: 'delete', doc: null, server: m });
    for (const f of files) intents.push({ kind: 'files', id: f.$id, projectId, op: 'delete', doc: null, server: f });
    // Local-only messages and files of the project: nothing to send, nothing to keep.
    for (const c of this.store.localChanges()) {
      if (c.kind !== 'projects' && c.projectId === projectId && !intents.some((i) => i.kind === c.kind && i.id === c.id)) {
        intents.push({ kind: c.kind, id: c.id, projectId, op: 'delete', doc: null, server: c.base ?? undefined });
      }
    }
    await this.record(intents);
    await this.store.removeProjectData(projectId);
    this.o.logger.info(`Deleted project ${projectId} locally (${messages.length} messages, ${files.length} files); queued for the server`);
  }

  // ---------------------------------------------------------------- messages

  /** A user message, with the next sequence number of the conversation. */
  async sendMessage(projectId: string, content: string): Promise<Message> {
    if (!this.store.project(projectId)) throw new NotFoundError(`Project ${projectId} is not in the local store`);
    if (!content.trim()) throw new InvalidError('A message needs some text');
    const messages = await this.store.loadMessages(projectId);
    const sequence = messages.reduce((max, m) => Math.max(max, m.sequence), 0) + 1;
    const message: Message = {
      $id: this.newId(),
      projectId,
      userId: this.user(),
      role: 'user',
      content,
      sequence,
      createdAt: this.iso(),
    };
    await this.record([{ kind: 'messages', id: message.$id, projectId, op: 'create', doc: message, server: undefined }]);
    return message;
  }

  async deleteMessage(projectId: string, messageId: string): Promise<void> {
    const shown = (await this.store.loadMessages(projectId)).find((m) => m.$id === messageId);
    if (!shown) throw new NotFoundError(`Message ${messageId} is not in the local store`);
    const server = await this.store.serverCopy('messages', messageId, projectId);
    await this.record([{ kind: 'messages', id: messageId, projectId, op: 'delete', doc: null, server }]);
  }

  // ---------------------------------------------------------------- files

  private requireProject(projectId: string): void {
    if (!this.store.project(projectId)) throw new NotFoundError(`Project ${projectId} is not in the local store`);
  }

  /**
   * Write a file's content. `create`: a missing file may be created;
   * `overwrite`: an existing one may be replaced. A new file gets the id
   * derived from its project and path.
   */
  async writeFile(projectId: string, rawPath: string, content: string, options: { create: boolean; overwrite: boolean }): Promise<ProjectFile> {
    this.requireProject(projectId);
    const path = checkPath(rawPath);
    const files = await this.store.loadFiles(projectId);
    const existing = files.find((f) => f.path === path);
    if (existing?.type === 'directory') throw new InvalidError(`${path} is a folder`, { type: 'is_directory' });
    if (!existing && !options.create) throw new NotFoundError(`${path} does not exist`);
    if (existing && !options.overwrite) throw new ConflictError(`${path} already exists`, existing, { type: 'file_exists' });
    this.checkParents(files, path);
    if (existing) {
      if (existing.content === content) return existing;
      const next: ProjectFile = { ...existing, content, updatedAt: this.iso() };
      await this.record([
        { kind: 'files', id: existing.$id, projectId, op: 'update', doc: next, server: await this.store.serverCopy('files', existing.$id, projectId), fields: ['content', 'updatedAt'] },
      ]);
      return next;
    }
    const doc = this.newFile(projectId, path, 'file', content);
    await this.record([{ kind: 'files', id: doc.$id, projectId, op: 'create', doc, server: await this.store.serverCopy('files', doc.$id, projectId) }]);
    return doc;
  }

  async createDirectory(projectId: string, rawPath: string): Promise<ProjectFile> {
    this.requireProject(projectId);
    const path = checkPath(rawPath);
    const files = await this.store.loadFiles(projectId);
    const existing = files.find((f) => f.path === path);
    if (existing || files.some((f) => isAncestor(path, f.path))) throw new ConflictError(`${path} already exists`, existing, { type: 'file_exists' });
    this.checkParents(files, path);
    const doc = this.newFile(projectId, path, 'directory', null);
    await this.record([{ kind: 'files', id: doc.$id, projectId, op: 'create', doc, server: await this.store.serverCopy('files', doc.$id, projectId) }]);
    return doc;
  }

  /** Delete a file, or a folder with everything under it (`recursive`). */
  async delete(projectId: string, rawPath: string, options: { recursive: boolean }): Promise<number> {
    this.requireProject(projectId);
    const path = checkPath(rawPath);
    const files = await this.store.loadFiles(projectId);
    const doomed = files.filter((f) => f.path === path || isAncestor(path, f.path));
    if (!doomed.length) throw new NotFoundError(`${path} does not exist`);
    if (doomed.some((f) => f.path !== path) && !options.recursive) throw new InvalidError(`${path} is a folder that is not empty`, { type: 'not_empty' });
    const server = new Map((await this.store.serverItems('files', projectId)).map((f) => [f.$id, f]));
    await this.record(doomed.map((f) => ({ kind: 'files' as const, id: f.$id, projectId, op: 'delete' as const, doc: null, server: server.get(f.$id) })));
    return doomed.length;
  }

  /**
   * Move a file or folder: each document is created at its new path (with the
   * id that path gives) and deleted at the old one, in that order.
   */
  async rename(projectId: string, rawFrom: string, rawTo: string, options: { overwrite: boolean }): Promise<void> {
    this.requireProject(projectId);
    const from = checkPath(rawFrom);
    const to = checkPath(rawTo);
    if (from === to) return;
    if (isAncestor(from, to)) throw new InvalidError(`Cannot move ${from} into itself`);
    const files = await this.store.loadFiles(projectId);
    const moving = files.filter((f) => f.path === from || isAncestor(from, f.path));
    if (!moving.length) throw new NotFoundError(`${from} does not exist`);
    // Two documents at one path would both get the new path's id, and one of them would be lost.
    const seen = new Set<string>();
    for (const f of moving) {
      if (seen.has(f.path)) throw new InvalidError(`Two documents share the path ${f.path}; keep both or keep one of them before moving it`, { type: 'shared_path' });
      seen.add(f.path);
    }
    const target = files.filter((f) => f.path === to || isAncestor(to, f.path));
    if (target.length && !options.overwrite) throw new ConflictError(`${to} already exists`, target[0], { type: 'file_exists' });
    this.checkParents(files, to);
    const server = new Map((await this.store.serverItems('files', projectId)).map((f) => [f.$id, f]));
    const intents: LocalIntent[] = [];
    for (const f of target) intents.push({ kind: 'files', id: f.$id, projectId, op: 'delete', doc: null, server: server.get(f.$id) });
    for (const f of moving) {
      const path = to + f.path.slice(from.length);
      const doc = { ...this.newFile(projectId, path, f.type, f.content ?? null), language: f.language ?? languageOf(path), createdAt: f.createdAt ?? this.iso() };
      intents.push({ kind: 'files', id: doc.$id, projectId, op: 'create', doc, server: server.get(doc.$id) });
    }
    for (const f of moving) intents.push({ kind: 'files', id: f.$id, projectId, op: 'delete', doc: null, server: server.get(f.$id) });
    await this.record(intents);
    this.o.logger.info(`Moved ${from} to ${to} in project ${projectId} (${moving.length} document${moving.length === 1 ? '' : 's'})`);
  }

  // ---------------------------------------------------------------- one document of several at a path

  /*
   * Documents from different writers can share a path (the web app gives new
   * files random ids; this extension derives them from the path). The path
   * operations above act on every document at a path; these act on one, by id.
   */

  /** Moves one file document to a free path (Keep Both): created there with that path's id, deleted by its own. */
  async moveDocument(projectId: string, id: string, rawTo: string): Promise<ProjectFile> {
    this.requireProject(projectId);
    const to = checkPath(rawTo);
    const files = await this.store.loadFiles(projectId);
    const doc = files.find((f) => f.$id === id);
    if (!doc) throw new NotFoundError(`File ${id} is not in the local store`);
    if (doc.type !== 'file') throw new InvalidError(`${doc.path} is a folder`, { type: 'is_directory' });
    const taken = files.find((f) => f.path === to || isAncestor(to, f.path));
    if (taken) throw new ConflictError(`${to} already exists`, taken, { type: 'file_exists' });
    this.checkParents(files, to);
    const moved: ProjectFile = { ...this.newFile(projectId, to, 'file', doc.content ?? ''), language: doc.language ?? languageOf(to), createdAt: doc.createdAt ?? this.iso() };
    await this.record([
      { kind: 'files', id: moved.$id, projectId, op: 'create', doc: moved, server: await this.store.serverCopy('files', moved.$id, projectId) },
      { kind: 'files', id, projectId, op: 'delete', doc: null, server: await this.store.serverCopy('files', id, projectId) },
    ]);
    this.o.logger.info(`Moved file ${id} from ${doc.path} to ${to} in project ${projectId}`);
    return moved;
  }

  /** Deletes one document by id (Keep This One: the others at its path go). */
  async deleteDocument(projectId: string, id: string): Promise<void> {
    this.requireProject(projectId);
    const shown = (await this.store.loadFiles(projectId)).find((f) => f.$id === id);
    if (!shown) throw new NotFoundError(`File ${id} is not in the local store`);
    await this.record([{ kind: 'files', id, projectId, op: 'delete', doc: null, server: await this.store.serverCopy('files', id, projectId) }]);
  }

  private newFile(projectId: string, path: string, type: 'file' | 'directory', content: string | null): ProjectFile {
    const now = this.iso();
    return {
      $id: fileIdFor(projectId, path),
      projectId,
      userId: this.user(),
      path,
      type,
      content: type === 'file' ? (content ?? '') : null,
      language: type === 'file' ? languageOf(path) : null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** A file cannot live under a file. */
  private checkParents(files: readonly ProjectFile[], path: string): void {
    for (const f of files) {
      if (f.type === 'file' && isAncestor(f.path, path)) throw new InvalidError(`${f.path} is a file, not a folder`, { type: 'not_a_directory' });
    }
  }
}

/** The fields of a local version an update sends: only those it changed (all of them when unknown). */
export function fieldsToSend(doc: AnyDoc, fields: readonly string[] | undefined): Record<string, unknown> {
  const all = dataFields(doc);
  if (!fields) return all;
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = (doc as unknown as Record<string, unknown>)[f] ?? null;
  return out;
}

export function kindLabel(kind: CollectionKind, n = 1): string {
  const one = { projects: 'project', messages: 'message', files: 'file' }[kind];
  return n === 1 ? one : `${one}s`;
}

export { baseName };
