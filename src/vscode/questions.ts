/**
 * Questions the commands ask (a name, a choice from a list) through one seam:
 * VS Code's input box and quick pick, or scripted answers in the extension's
 * own tests (see the test API in extension.ts).
 */
import * as vscode from 'vscode';

export interface TextQuestion {
  title: string;
  /** Names what is wanted. */
  prompt: string;
  value?: string;
  /** The part of `value` selected at first ([start, end]). */
  selection?: [number, number];
  placeholder?: string;
  /** Undefined when acceptable, else why not (shown while typing). */
  validate?(value: string): string | undefined;
}

export interface PickQuestion {
  title: string;
  placeholder: string;
  items: { label: string; description?: string; value: string }[];
}

export interface Questions {
  /** The answer, or undefined when the user cancelled. */
  text(q: TextQuestion): Promise<string | undefined>;
  /** The chosen item's value, or undefined when the user cancelled. */
  pick(q: PickQuestion): Promise<string | undefined>;
}

export const windowQuestions: Questions = {
  async text(q) {
    return vscode.window.showInputBox({
      title: q.title,
      prompt: q.prompt,
      value: q.value,
      valueSelection: q.selection,
      placeHolder: q.placeholder,
      ignoreFocusOut: true,
      validateInput: q.validate ? (value) => q.validate!(value) : undefined,
    });
  },
  async pick(q) {
    const picked = await vscode.window.showQuickPick(
      q.items.map((i) => ({ label: i.label, description: i.description, value: i.value })),
      { title: q.title, placeHolder: q.placeholder, ignoreFocusOut: true, matchOnDescription: true },
    );
    return picked?.value;
  },
};
