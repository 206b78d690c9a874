/** One demo project: its fields, its files (directories have no content) and its conversation. */
export interface DemoProject {
  id: string;
  title: string;
  slug: string;
  description: string;
  framework: string;
  /** The app's own dates (ISO); messages and files are spread after it. */
  createdAt: string;
  files: DemoFile[];
  conversation: DemoTurn[];
}

export type DemoFile = { path: string; content: string } | { path: string; directory: true };

export interface DemoTurn {
  role: 'user' | 'assistant';
  content: string;
}
