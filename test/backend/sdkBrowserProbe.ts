/**
 * Runs the official appwrite@17.0.2 Web SDK the way a browser runs it — its session kept in
 * `window.localStorage`, realtime on a global `WebSocket` — against the local backend, and prints
 * what it sees as JSON lines. It runs in its own child process: the globals it defines never
 * leak into the test runner (and the extension never defines them at all).
 *
 *   tsx test/backend/sdkBrowserProbe.ts <endpoint> <email> <password> <projectId>
 */
import WebSocket from 'ws';

const [endpoint, email, password, projectId] = process.argv.slice(2);
if (!endpoint || !email || !password || !projectId) {
  console.error('usage: sdkBrowserProbe <endpoint> <email> <password> <projectId>');
  process.exit(2);
}

const storage = new Map<string, string>();
Object.assign(globalThis, {
  WebSocket,
  window: {
    localStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, String(v)),
      removeItem: (k: string) => void storage.delete(k),
    },
    setTimeout,
    setInterval,
    clearTimeout,
    clearInterval,
    console: { ...console, warn: () => undefined },
  },
});

const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  // Loaded after the globals exist, as in a page.
  const { Client, Account, Databases, ID, Query } = await import('appwrite');
  const client = new Client().setEndpoint(endpoint!).setProject('codecraft');
  const account = new Account(client);
  const databases = new Databases(client);

  const session = await account.createEmailPasswordSession(email!, password!);
  const me = await account.get();
  emit({ step: 'signedIn', userId: me.$id, sessionUser: session.userId, cookieStored: storage.has('cookieFallback') });

  const before = await databases.listDocuments('codecraft', 'messages', [Query.equal('projectId', projectId!), Query.orderDesc('sequence'), Query.limit(1)]);
  const lastSequence = (before.documents[0]?.sequence as number | undefined) ?? 0;

  const channel = 'databases.codecraft.collections.messages.documents';
  const done = new Promise<void>((resolve) => {
    const unsubscribe = client.subscribe([channel, 'databases.codecraft.collections.project_files.documents'], (event) => {
      const payload = event.payload as Record<string, unknown>;
      emit({ step: 'event', events: event.events, channels: event.channels, id: payload.$id, role: payload.role, sequence: payload.sequence, content: payload.content, path: payload.path });
      // The stand-in writes the file it was asked for after the reply has finished streaming.
      if (payload.path === 'src/components/StarRating.tsx') {
        unsubscribe();
        resolve();
      }
    });
  });
  // Give the socket time to open and authenticate, as a page would before the user types.
  await new Promise((r) => setTimeout(r, 500));

  const created = await databases.createDocument('codecraft', 'messages', ID.unique(), {
    projectId,
    userId: me.$id,
    role: 'user',
    content: 'Please create src/components/StarRating.tsx for rating recipes',
    sequence: lastSequence + 1,
    createdAt: new Date().toISOString(),
  });
  emit({ step: 'created', id: created.$id, sequence: created.sequence, permissions: created.$permissions });

  const timeout = setTimeout(() => {
    emit({ step: 'timeout' });
    process.exit(1);
  }, 15_000);
  await done;
  clearTimeout(timeout);
  const reply = await databases.listDocuments('codecraft', 'messages', [Query.equal('projectId', projectId!), Query.greaterThan('sequence', lastSequence + 1)]);
  emit({ step: 'reply', documents: reply.documents.map((d) => ({ id: d.$id, sequence: d.sequence, role: d.role, permissions: d.$permissions })) });
  process.exit(0);
}

main().catch((e: unknown) => {
  emit({ step: 'error', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
