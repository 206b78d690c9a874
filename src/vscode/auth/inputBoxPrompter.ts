import * as vscode from 'vscode';
import { acceptWhenValid, stepInputBox, untilAnswered } from '../quickInput';
import { BACK, type PromptStep, type Prompter } from './signInSteps';

/**
 * Asks each sign-in step in one VS Code input box: title with step counter,
 * a prompt naming what is wanted, the answer pre-filled, a Back button from
 * the second step, live validation, and the reason the last attempt failed.
 */
export class InputBoxPrompter implements Prompter {
  ask(step: PromptStep): Promise<string | typeof BACK | undefined> {
    const input = stepInputBox(step);
    input.password = step.password;
    input.validationMessage = step.message ? { message: step.message, severity: vscode.InputBoxValidationSeverity.Error } : undefined;
    return untilAnswered(input, BACK, (finish) => [
      input.onDidChangeValue((value) => {
        // The failure reason stays until the answer is edited, then live validation takes over.
        input.validationMessage = value.length > 0 || step.id === 'password' ? step.validate(value) : undefined;
      }),
      acceptWhenValid(input, (value) => step.validate(value), finish),
    ]);
  }
}
