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
