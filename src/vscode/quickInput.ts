import * as vscode from 'vscode';

/**
 * Shows `input` until it answers: `back` for its Back button, undefined when it
 * is hidden (Escape, focus elsewhere), or what `listen` finishes with. Every
 * subscription and the input itself are disposed once it has answered.
 */
export function untilAnswered<B>(
  input: vscode.InputBox | vscode.QuickPick<vscode.QuickPickItem>,
  back: B,
  listen: (finish: (value: string | B | undefined) => void) => vscode.Disposable[],
): Promise<string | B | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const subscriptions: vscode.Disposable[] = [];
    const finish = (value: string | B | undefined) => {
      if (settled) return;
      settled = true;
      for (const d of subscriptions) d.dispose();
      input.dispose();
      resolve(value);
    };
    subscriptions.push(
      ...listen(finish),
      input.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) finish(back);
      }),
      input.onDidHide(() => finish(undefined)),
    );
    input.show();
  });
}

/** What one step of a multi-step flow shows in an input box. */
export interface InputStep {
  title: string;
  /** 1-based, of `totalSteps`. */
  step: number;
  totalSteps: number;
  prompt: string;
  placeholder: string;
  value: string;
}

/**
 * An input box for one step: the title with the step counter, the prompt, the
 * answer pre-filled, Back from the second step, open when focus moves away.
 */
export function stepInputBox(step: InputStep): vscode.InputBox {
  const input = vscode.window.createInputBox();
  input.title = step.title;
  input.step = step.step;
  input.totalSteps = step.totalSteps;
  input.prompt = step.prompt;
  input.placeholder = step.placeholder;
  input.value = step.value;
  input.ignoreFocusOut = true;
  input.buttons = step.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  return input;
}

/** Enter finishes with the answer when `validate` passes it, else shows why not. */
export function acceptWhenValid(input: vscode.InputBox, validate: (value: string) => string | undefined, finish: (value: string) => void): vscode.Disposable {
  return input.onDidAccept(() => {
    const problem = validate(input.value);
    if (problem) input.validationMessage = problem;
    else finish(input.value);
  });
}
