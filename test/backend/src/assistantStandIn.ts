/**
 * A stand-in for the CodeCraft assistant service, so the local backend behaves like a live
 * CodeCraft project: it is NOT the assistant, only a deterministic imitation of its writes.
 *
 * When a signed-in user (session or JWT, not an API key) creates a message with role "user", it writes the assistant's reply (sequence = the
 * user message's + 1, read/update/delete for the message's owner) and streams it: the reply is
 * created with the first part of its text and grows in `steps - 1` updates, `stepMs` apart.
 * Rules (deterministic, see planReply):
 *   - a message that names a file path with a known extension (e.g. `src/components/Button.tsx`)
 *     and a verb (create, add, write, make, generate, update, edit, change, fix, modify) makes the
 *     reply create that file in the project (or update it when it exists), with content chosen by
 *     the extension; the reply names the file and shows its content;
 *   - any other message gets a short three-step plan quoting the message.
 * After the last step it writes the file (if any), then sets the project's lastMessageAt. A reply deleted
 * while it streams is not written further (nor its file); a user message deleted meanwhile changes nothing.
 * Writes go through the documents layer, so realtime events fire as for any other write.
 */
import type { Identity } from './auth';
import type { AppwriteDocument, DocumentChangeContext, DocumentEvent, DocumentService } from './documents';
import { AppwriteError } from './errors';
import { formatDate } from './time';

export interface AssistantOptions {
  /** Time between streamed updates (default 40 ms). */
  stepMs?: number;
  /** Number of writes for one reply: one create and steps - 1 updates (default 4, at least 1). */
  steps?: number;
}

const IDENTITY: Identity = { kind: 'key', keyId: 'assistant-stand-in' };

const LANGUAGES: Record<string, string> = {
  ts: 'typescript',
  tsx: 'typescript',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  vue: 'vue',
  json: 'json',
  md: 'markdown',
  css: 'css',
  scss: 'scss',
  html: 'html',
  py: 'python',
  yml: 'yaml',
  yaml: 'yaml',
  sh: 'shell',
  txt: 'plaintext',
};

const PATH = /(?:^|[\s`'"(])((?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.([A-Za-z0-9]{1,10}))(?=$|[\s`'"),:;!?]|\.(?:\s|$))/g;
const VERB = /\b(create|add|write|make|generate|update|edit|change|fix|modify)\b/i;

/** The language name CodeCraft stores for a path, from its extension (null when unknown). */
export function languageOf(path: string): string | null {
  const dot = path.lastIndexOf('.');
  const ext = dot >= 0 ? path.slice(dot + 1).toLowerCase() : '';
  return LANGUAGES[ext] ?? null;
}

export interface ReplyPlan {
  content: string;
  file?: { path: string; content: string; language: string; action: 'create' | 'update' };
}

/** The first file path with a known extension in a message, if any. */
export function namedPath(text: string): string | undefined {
  for (const m of text.matchAll(PATH)) {
    const path = m[1]!.replace(/^\.\//, '');
    if (LANGUAGES[m[2]!.toLowerCase()] && !path.includes('..')) return path;
  }
  return undefined;
}

function baseName(path: string): string {
  const file = path.split('/').pop()!;
  return file.includes('.') ? file.slice(0, file.indexOf('.')) : file;
}

function pascal(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const out = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return /^[A-Za-z]/.test(out) ? out : `Component${out}`;
}

function camel(name: string): string {
  const p = pascal(name);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
}

/** Starter content for a new file, chosen by its extension. */
export function starterContent(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const name = baseName(path);
  switch (ext) {
    case 'tsx':
    case 'jsx': {
      const c = pascal(name);
      const typed = ext === 'tsx';
      return [
        typed ? `import type { ReactNode } from 'react';\n` : '',
        typed ? `export interface ${c}Props {\n  title?: string;\n  children?: ReactNode;\n}\n` : '',
        `export function ${c}({ title = '${c}', children }${typed ? `: ${c}Props` : ''}) {`,
        `  return (`,
        `    <section className="${kebab(name)}">`,
        `      <h2>{title}</h2>`,
        `      {children}`,
        `    </section>`,
        `  );`,
        `}`,
        ``,
        `export default ${c};`,
        ``,
      ].filter((l, i) => l !== '' || i > 1).join('\n');
    }
    case 'ts':
    case 'js':
    case 'mjs':
    case 'cjs': {
      const f = camel(name);
      const typed = ext === 'ts';
      return `/** ${pascal(name)} helpers. */\nexport function ${f}(input${typed ? ': string' : ''})${typed ? ': string' : ''} {\n  return input.trim();\n}\n`;
    }
    case 'vue':
      return `<script setup lang="ts">\ndefineProps<{ title?: string }>();\n</script>\n\n<template>\n  <section class="${kebab(name)}">\n    <h2>{{ title ?? '${pascal(name)}' }}</h2>\n    <slot />\n  </section>\n</template>\n\n<style scoped>\n.${kebab(name)} {\n  padding: 1rem;\n}\n</style>\n`;
    case 'css':
    case 'scss':
      return `.${kebab(name)} {\n  display: flex;\n  gap: 0.5rem;\n}\n`;
    case 'json':
      return `{\n  "name": "${kebab(name)}"\n}\n`;
    case 'md':
      return `# ${pascal(name)}\n\nNotes for ${path}.\n`;
    case 'html':
      return `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <title>${pascal(name)}</title>\n  </head>\n  <body></body>\n</html>\n`;
    case 'py':
      return `def ${name.replace(/[^A-Za-z0-9_]/g, '_')}():\n    return None\n`;
    case 'yml':
    case 'yaml':
      return `name: ${kebab(name)}\n`;
    case 'sh':
      return `#!/usr/bin/env sh\nset -eu\n`;
    default:
      return `${name}\n`;
  }
}

/** The line an update appends to an existing file (a comment in the file's syntax). */
export function updateNote(path: string, sequence: number): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const text = `Updated by the assistant (message ${sequence}).`;
  if (ext === 'md' || ext === 'txt') return `\n${text}\n`;
  if (ext === 'json') return '';
  if (ext === 'html' || ext === 'vue') return `\n<!-- ${text} -->\n`;
  if (ext === 'css' || ext === 'scss') return `\n/* ${text} */\n`;
  if (ext === 'py' || ext === 'yml' || ext === 'yaml' || ext === 'sh') return `\n# ${text}\n`;
  return `\n// ${text}\n`;
}

/** What the stand-in answers to `text` (a user message with this sequence), given the file if it exists. */
export function planReply(text: string, sequence: number, existing?: { content: string | null }): ReplyPlan {
  const path = namedPath(text);
  if (path && VERB.test(text)) {
    const language = LANGUAGES[path.slice(path.lastIndexOf('.') + 1).toLowerCase()]!;
    if (existing) {
      const content = (existing.content ?? '') + updateNote(path, sequence);
      return {
        content: `I updated \`${path}\` as you asked and left a note at the end of the file so the change is easy to find.\n\nThe rest of the file is unchanged.`,
        file: { path, content, language, action: 'update' },
      };
    }
    const content = starterContent(path);
    return {
      content: `I created \`${path}\` with a small starting point you can build on:\n\n\`\`\`${language}\n${content}\`\`\`\n\nTell me what it should do next and I will fill it in.`,
      file: { path, content, language, action: 'create' },
    };
  }
  const quoted = text.trim().replace(/\s+/g, ' ').slice(0, 120);
  return {
    content: `Here is how I would approach "${quoted}":\n\n1. Look at the files this touches and keep the change small.\n2. Make the change and keep the existing style.\n3. Check it in the preview and adjust.\n\nSay "create <path>" when you want me to add a file.`,
  };
}

/** The streamed prefixes of `content` in `steps` parts (the last one is the whole text). */
export function streamParts(content: string, steps: number): string[] {
  const n = Math.max(1, Math.floor(steps));
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) parts.push(content.slice(0, Math.ceil((content.length * i) / n)));
  return parts;
}

/** The reply's id for a user message id (deterministic, valid as an Appwrite id). */
export function replyId(messageId: string): string {
  return `${messageId.slice(0, 30)}-reply`;
}

function ownerOf(doc: AppwriteDocument): string | undefined {
  if (typeof doc.userId === 'string' && doc.userId) return doc.userId;
  for (const p of doc.$permissions) {
    const m = /^read\("user:([^"/]+)"\)$/.exec(p);
    if (m) return m[1];
  }
  return undefined;
}

export class AssistantStandIn {
  private readonly stepMs: number;
  private readonly steps: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  private readonly remove: () => void;
  private stopped = false;

  constructor(private readonly documents: DocumentService, options: AssistantOptions = {}) {
    this.stepMs = Math.max(0, options.stepMs ?? 40);
    this.steps = Math.max(1, Math.floor(options.steps ?? 4));
    this.remove = documents.onDocumentChange((event, doc, ctx) => this.onChange(event, doc, ctx));
  }

  /** Resolves when every reply in progress has been written. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  stop(): void {
    this.stopped = true;
    this.remove();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private onChange(event: DocumentEvent, doc: AppwriteDocument, ctx: DocumentChangeContext): void {
    // Like the real service, it answers what signed-in users write, not API-key or in-process writes.
    if (event !== 'create' || ctx.collectionId !== 'messages' || doc.role !== 'user' || ctx.actor.kind !== 'user') return;
    const run = this.reply(doc, ctx.databaseId).catch((e: unknown) => {
      if (!this.stopped) console.error(`[backend] assistant stand-in could not reply to ${doc.$id}: ${(e as Error).message}`);
    });
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private findFile(databaseId: string, projectId: string, path: string): AppwriteDocument | undefined {
    const list = this.documents.list(IDENTITY, databaseId, 'project_files', [
      JSON.stringify({ method: 'equal', attribute: 'projectId', values: [projectId] }),
      JSON.stringify({ method: 'equal', attribute: 'path', values: [path] }),
      JSON.stringify({ method: 'limit', values: [1] }),
    ]);
    return list.documents[0] as AppwriteDocument | undefined;
  }

  private async reply(message: AppwriteDocument, databaseId: string): Promise<void> {
    const owner = ownerOf(message);
    const projectId = message.projectId as string;
    const sequence = message.sequence as number;
    if (!owner) return; // nobody could read the reply
    const permissions = ['read', 'update', 'delete'].map((t) => `${t}("user:${owner}")`);
    const path = namedPath(String(message.content));
    const existing = path ? this.findFile(databaseId, projectId, path) : undefined;
    const plan = planReply(String(message.content), sequence, existing ? { content: (existing.content as string | null) ?? null } : undefined);
    const parts = streamParts(plan.content, this.steps);
    const id = replyId(message.$id);
    await this.wait(this.stepMs);
    if (this.stopped) return;
    this.documents.create(
      IDENTITY,
      databaseId,
      'messages',
      id,
      { projectId, userId: owner, role: 'assistant', content: parts[0]!, sequence: sequence + 1, createdAt: formatDate(Date.now()) },
      permissions,
    );
    for (const part of parts.slice(1)) {
      await this.wait(this.stepMs);
      if (this.stopped) return;
      try {
        this.documents.update(IDENTITY, databaseId, 'messages', id, { content: part }, undefined);
      } catch (e) {
        // The user deleted the reply while it was being written: stop writing it (and its file).
        if (e instanceof AppwriteError && e.type === 'document_not_found') return;
        throw e;
      }
    }
    const now = formatDate(Date.now());
    if (plan.file) {
      const current = this.findFile(databaseId, projectId, plan.file.path);
      if (current) {
        this.documents.update(IDENTITY, databaseId, 'project_files', current.$id, { content: plan.file.content, updatedAt: now }, undefined);
      } else {
        this.documents.create(
          IDENTITY,
          databaseId,
          'project_files',
          'unique()',
          { projectId, userId: owner, path: plan.file.path, type: 'file', content: plan.file.content, language: plan.file.language, createdAt: now, updatedAt: now },
          permissions,
        );
      }
    }
    try {
      this.documents.update(IDENTITY, databaseId, 'projects', projectId, { lastMessageAt: now }, undefined);
    } catch {
      // no such project: the message stands alone
    }
  }
}
