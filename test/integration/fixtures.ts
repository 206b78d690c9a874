import { assistantCorpus } from '../webview/xssCorpus';

/**
 * The data the integration and UI suites pre-fill into the extension's local store, and the
 * environment contract between the runners (test/harness) and the code that runs inside the
 * extension host. No `vscode` import here: the runners use it too.
 */

export const EXTENSION_ID = 'codecraft.codecraft-vscode';

/** Environment variables the runners pass to the extension host. */
export const TestEnv = {
  /** `codecraft.endpoint` the runner configured: a listener that accepts and never answers */
  endpoint: 'CODECRAFT_TEST_ENDPOINT',
  /** a file the code-server runner writes once it has seen the project rows in the workbench DOM */
  domAck: 'CODECRAFT_TEST_DOM_ACK',
  /** the local backend (demo seed) the runner started, e.g. http://127.0.0.1:PORT/v1 */
  backend: 'CODECRAFT_TEST_BACKEND',
  /** the runner's control port for that backend (offline/online, latency, seeding, holding an update): see test/harness/backendControl.ts and ControlRoutes */
  control: 'CODECRAFT_TEST_CONTROL',
  /** that backend's full-access API key: "another device" writing with the official SDK from inside the extension host */
  apiKey: 'CODECRAFT_TEST_API_KEY',
} as const;

/** Some routes of the runner's control port (its own server: it answers while the backend is offline). */
export const ControlRoutes = {
  /** POST → the backend goes offline (connections refused) until /online */
  offline: '/offline',
  /** POST → the backend is back now */
  online: '/online',
  /** POST { collectionId, documentId } → the next update of that document by the extension waits; GET → { waiting } */
  holdUpdate: '/hold-update',
  /** POST → the held update goes on */
  releaseUpdate: '/release-update',
} as const;

/** What the code-server runner writes to the dom-ack file once the pre-filled rows are in the workbench DOM. */
export interface DomAck {
  /** The pre-filled project titles seen as rows of the Projects view. */
  seen: string[];
  /** Date.now() in the page when it opened the CodeCraft container (the moment its activity-bar icon appeared). */
  openedAt: number;
  /** Date.now() in the page when a MutationObserver first found every row (same machine clock as the extension host). */
  seenAt: number;
  /** Date.now() in the next animation frame after that: the rows painted. */
  paintedAt: number;
}

/** Test-only routes the runners add to the local backend they start (never part of the backend itself). */
export const BackendProbe = {
  /** GET → { connections }: open realtime sockets */
  sockets: '/__test/realtime-connections',
  /** POST → deletes every session of the demo user, as Appwrite's session limit deletes the oldest */
  dropSessions: '/__test/drop-sessions',
  /** POST { muted: boolean } → while muted, writes are committed but not announced over realtime (a lost message) */
  muteRealtime: '/__test/mute-realtime',
  /** POST { spec } → the backend's fault injection (see test/backend/src/faults.ts); '' clears it */
  faults: '/__test/faults',
} as const;

/** The demo account the local backend's `demo` seed creates. */
export const DEMO = {
  email: 'demo@codecraft.dev',
  password: 'codecraft-demo',
  projects: ['Recipe Box', 'Habit Tracker', 'Bookmarks API'],
  recipeBox: { id: 'demo-recipe-box', slug: 'recipe-box', file: 'src/components/RecipeCard.tsx' },
} as const;

export const TEST_USER_ID = 'user-integration-1';
/** The session phase 1 stores for the test identity (on an endpoint that never answers). */
export const TEST_SESSION = { secret: 'integration-session-secret', email: 'integration@codecraft.dev' };

export function testIdentity(endpoint: string) {
  return { endpoint, project: 'codecraft', database: 'codecraft', userId: TEST_USER_ID };
}

const at = (minute: number) => `2025-03-01T10:${String(minute).padStart(2, '0')}:00.000+00:00`;

/** Three projects as Appwrite returns them (system fields + the app's attributes). */
export const TEST_PROJECTS = [
  { title: 'Weather Dashboard', slug: 'weather-dashboard', framework: 'react', minute: 1 },
  { title: 'Recipe Finder', slug: 'recipe-finder', framework: 'vue', minute: 2 },
  { title: 'Portfolio Site', slug: 'portfolio-site', framework: 'svelte', minute: 3 },
].map((p, i) => ({
  // The first id has capitals on purpose: URI authorities are case-insensitive, Appwrite ids are not.
  $id: i === 0 ? 'itest-Weather-1' : `itest-project-${i + 1}`,
  $collectionId: 'projects',
  $databaseId: 'codecraft',
  $createdAt: at(p.minute),
  $updatedAt: at(p.minute),
  $permissions: [],
  userId: TEST_USER_ID,
  title: p.title,
  slug: p.slug,
  description: `${p.title} built with ${p.framework}`,
  framework: p.framework,
  status: 'active',
  createdAt: at(p.minute),
  updatedAt: at(p.minute),
}));

export const TEST_PROJECT_TITLES = TEST_PROJECTS.map((p) => p.title);

/** A project whose files record is deliberately corrupted on disk in phase 1 (the second one). */
export const CORRUPT_PROJECT = TEST_PROJECTS[1]!;

/** The project whose files are pre-filled (the first one). */
export const FILES_PROJECT = TEST_PROJECTS[0]!;

const fileDoc = (i: number, path: string, type: 'file' | 'directory', content: string | null, language: string | null) => ({
  $id: `itest-file-${i}`,
  $collectionId: 'project_files',
  $databaseId: 'codecraft',
  $createdAt: at(10),
  $updatedAt: at(10 + i),
  $permissions: [],
  projectId: FILES_PROJECT.$id,
  userId: TEST_USER_ID,
  path,
  type,
  content,
  language,
});

export const APP_TSX = [
  "import { useState } from 'react';",
  "import { Forecast } from './components/Forecast';",
  '',
  'export default function App() {',
  "  const [city, setCity] = useState('Lisbon');",
  '  return <Forecast city={city} onCityChange={setCity} />;',
  '}',
  '',
].join('\n');

/** Files of the first project, as flat documents: an implied folder, a directory document, nested files. */
export const TEST_FILES = [
  fileDoc(1, 'package.json', 'file', '{\n  "name": "weather-dashboard",\n  "private": true\n}\n', 'json'),
  fileDoc(2, 'src/App.tsx', 'file', APP_TSX, 'typescript'),
  fileDoc(3, 'src/components', 'directory', null, null),
  fileDoc(4, 'src/components/Forecast.tsx', 'file', 'export function Forecast() {\n  return null;\n}\n', 'typescript'),
  fileDoc(5, 'README.md', 'file', '# Weather Dashboard\n', 'markdown'),
  // Names that look like URI escapes must be taken literally.
  fileDoc(6, 'docs/100% done.md', 'file', '# All done\n', 'markdown'),
  fileDoc(7, 'docs/a%2Fb.txt', 'file', 'not a slash\n', null),
];

const messageDoc = (i: number, id: string, role: 'user' | 'assistant', content: string) => ({
  $id: id,
  $collectionId: 'messages',
  $databaseId: 'codecraft',
  $createdAt: at(20 + Math.min(i, 39)),
  $updatedAt: at(20 + Math.min(i, 39)),
  $permissions: [],
  projectId: FILES_PROJECT.$id,
  userId: TEST_USER_ID,
  role,
  content,
  sequence: i,
});

/** The readable end of the first project's conversation (what the screenshots show). */
export const TEST_CONVERSATION: { role: 'user' | 'assistant'; content: string }[] = [
  { role: 'user', content: 'Build me a weather dashboard in React: pick a city and see its forecast.' },
  {
    role: 'assistant',
    content:
      'I set up the dashboard. The city picker lives in `src/App.tsx`:\n\n```tsx\n' + APP_TSX + '```\n\nThe forecast itself is in `src/components/Forecast.tsx`; see the [React docs](https://react.dev/learn) for how state flows down.',
  },
  { role: 'user', content: 'Great. Can you show the temperature in both °C and °F?' },
  {
    role: 'assistant',
    content: 'Sure. I will add a **unit toggle** next to the city picker:\n\n1. keep the unit in state (`"C"` or `"F"`)\n2. convert with `f = c * 9 / 5 + 32`\n3. remember the choice in `localStorage`\n\nSay *go* and I will write it.',
  },
];

/** The first project's conversation: the XSS corpus first (older), then TEST_CONVERSATION (newest). */
export const TEST_MESSAGES = [
  ...assistantCorpus().map((m, i) => messageDoc(i + 1, m.id, 'assistant', m.content)),
  ...TEST_CONVERSATION.map((m, i) => messageDoc(assistantCorpus().length + i + 1, `itest-msg-${i + 1}`, m.role, m.content)),
];

/** The extension's exported API (what activate() returns). */
export type { CodeCraftApi } from '../../src/extension';
