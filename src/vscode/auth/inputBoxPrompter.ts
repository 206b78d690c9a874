import * as vscode from 'vscode';
import { BACK, type PromptStep, type Prompter } from './signInSteps';

/**
 * Asks each sign-in step in one VS Code input box: title with step counter,
 * a prompt naming what is wanted, the answer pre-filled, a Back button from
 * the second step, live validation, and the reason the last attempt failed.
 */
export class InputBoxPrompter implements Prompter {
  ask(step: PromptStep): Promise<string | typeof BACK | undefined> {
    return new Promise((resolve) => {
      const input = vscode.window.createInputBox();
      input.title = step.title;
      input.step = step.step;
      input.totalSteps = step.totalSteps;
      input.prompt = step.prompt;
      input.placeholder = step.placeholder;
      input.value = step.value;
      input.password = step.password;
      input.ignoreFocusOut = true;
      input.buttons = step.step > 1 ? [vscode.QuickInputButtons.Back] : [];
      input.validationMessage = step.message ? { message: step.message, severity: vscode.InputBoxValidationSeverity.Error } : undefined;
      let settled = false;
      const finish = (value: string | typeof BACK | undefined) => {
        if (settled) return;
        settled = true;
        for (const d of subscriptions) d.dispose();
        input.dispose();
        resolve(value);
      };
      const subscriptions = [
        input.onDidChangeValue((value) => {
          // The failure reason stays until the answer is edited, then live validation takes over.
          input.validationMessage = value.length > 0 || step.id === 'password' ? step.validate(value) : undefined;
        }),
        input.onDidAccept(() => {
          const problem = step.validate(input.value);
          if (problem) {
            input.validationMessage = problem;
            return;
          }
          finish(input.value);
        }),
        input.onDidTriggerButton((button) => {
          if (button === vscode.QuickInputButtons.Back) finish(BACK);
        }),
        input.onDidHide(() => finish(undefined)),
      ];
      input.show();
    });
  }
}
