import * as vscode from 'vscode';
import { acceptWhenValid, stepInputBox, untilAnswered } from '../quickInput';
import { BACK, type ChoiceStep, type EditPrompter, type EditStep, type TextStep } from './editProjectFlow';

/**
 * Asks each step of Edit Project in one quick input: the title with the step
 * counter, Back from the second step, live validation. Escape (hiding the
 * input) answers undefined: the flow leaves that field unchanged.
 */
export class QuickInputEditPrompter implements EditPrompter {
  ask(step: EditStep): Promise<string | typeof BACK | undefined> {
    return step.kind === 'text' ? this.text(step) : this.choice(step);
  }

  private text(step: TextStep): Promise<string | typeof BACK | undefined> {
    const input = stepInputBox(step);
    return untilAnswered(input, BACK, (finish) => [
      input.onDidChangeValue((value) => (input.validationMessage = step.validate(value))),
      acceptWhenValid(input, (value) => step.validate(value), finish),
    ]);
  }

  private choice(step: ChoiceStep): Promise<string | typeof BACK | undefined> {
    type Item = vscode.QuickPickItem & { value: 'yes' | 'no' };
    const pick = vscode.window.createQuickPick<Item>();
    pick.title = step.title;
    pick.step = step.step;
    pick.totalSteps = step.totalSteps;
    pick.placeholder = step.prompt;
    pick.ignoreFocusOut = true;
    pick.items = step.items.map((i) => ({ label: i.label, ...(i.detail ? { detail: i.detail } : {}), value: i.value }));
    pick.activeItems = pick.items.filter((i) => i.value === step.active);
    pick.buttons = step.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    return untilAnswered(pick, BACK, (finish) => [
      pick.onDidAccept(() => {
        const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
        if (chosen) finish(chosen.value);
      }),
    ]);
  }
}
