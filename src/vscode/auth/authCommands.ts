/**
 * The conversations of Sign In and Sign Out: asking, progress, what went
 * wrong in the user's words, retrying with the previous answers, the
 * unsynced-changes warning and the offer to remove local data.
 */
import * as vscode from 'vscode';
import { CancelledError, isCodeCraftError } from '../../core/errors';
import type { SignedInAccount } from '../connection';
import type { CodeCraftContext } from '../context';
import { signInFailureOf } from '../errorPolicy';
import { askSignInAnswers, type AskOptions } from './signInSteps';

/** Asks, signs in, and on failure asks again at the step to correct; undefined when the user gives up. */
export async function signInInteractively(ctx: CodeCraftContext): Promise<SignedInAccount | undefined> {
  const settings = ctx.config.connection();
  const log = ctx.log.for('auth');
  let ask: AskOptions = {
    initial: { endpoint: settings.endpoint, project: settings.projectId, email: ctx.account.lastEmail ?? '' },
  };
  for (;;) {
    const answers = await askSignInAnswers(ctx.ui.prompter, ask);
    if (!answers) {
      log.info('Sign in cancelled');
      return undefined;
    }
    try {
      const started = Date.now();
      const account = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `CodeCraft: signing in as ${answers.email}…`, cancellable: true },
        (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return ctx.account.signIn(answers, abort.signal);
        },
      );
      log.info(`Signed in in ${Date.now() - started} ms`);
      void vscode.window.setStatusBarMessage(`$(account) Signed in to CodeCraft as ${account.email || account.name}`, 5000);
      return account;
    } catch (e) {
      if (e instanceof CancelledError || (isCodeCraftError(e) && e.kind === 'Cancelled')) {
        log.info('Sign in cancelled');
        return undefined;
      }
      log.warn(`Sign in failed: ${e instanceof Error ? e.message : String(e)}`);
      const failure = signInFailureOf(e, answers.endpoint, answers.project);
      // Ask again at the step to correct, with every answer but the password kept.
      ask = { initial: { ...answers, password: '' }, startAt: failure.retryAt, message: failure.message };
    }
  }
}

/**
 * Signs out after warning about changes that have not reached the server,
 * then offers to remove the account's data from this machine. `confirmed`:
 * VS Code has already asked (sign-out from the Accounts menu).
 */
export async function signOutInteractively(ctx: CodeCraftContext, options: { confirmed?: boolean } = {}): Promise<boolean> {
  const pending = ctx.sync.pending.count();
  if (pending > 0) {
    const message = `${pending} change${pending === 1 ? ' has' : 's have'} not reached the CodeCraft server yet. They stay on this machine and are sent when you sign in to this account again.`;
    if (options.confirmed) {
      void ctx.ui.dialogs.show('warning', `CodeCraft: ${message}`, {});
    } else {
      const pick = await ctx.ui.dialogs.show('warning', 'Sign out of CodeCraft with unsynced changes?', { modal: true, detail: message }, 'Sign Out');
      if (pick !== 'Sign Out') return false;
    }
  }
  const who = ctx.account.account?.email;
  const result = await ctx.account.signOut();
  if (!result.identity) return true;
  const identity = result.identity;
  const offline = result.serverSessionDeleted ? '' : ' (the server could not be reached; the session there ends when it expires)';
  const pick = await ctx.ui.dialogs.show(
    'info',
    `Signed out of CodeCraft${who ? ` (${who})` : ''}${offline}. Remove this account's projects and files saved on this machine?`,
    {},
    'Remove',
    'Keep',
  );
  if (pick === 'Remove') {
    try {
      await ctx.account.removeLocalData(identity);
      void vscode.window.setStatusBarMessage('$(trash) Removed the CodeCraft data saved on this machine', 5000);
    } catch (e) {
      await ctx.errors.report(e, 'Removing the local data');
    }
  }
  return true;
}

/** The server proved the session gone: say so, in our words, and offer Sign In. */
export async function sessionEnded(ctx: CodeCraftContext): Promise<void> {
  const pick = await ctx.ui.dialogs.show(
    'warning',
    'CodeCraft: your session has ended — it expired, was signed out on the server, or was replaced by newer sign-ins (Appwrite keeps a limited number of sessions per account). Sign in again to keep syncing; your data stays on this machine.',
    {},
    'Sign In',
  );
  if (pick === 'Sign In') await signInInteractively(ctx);
}
