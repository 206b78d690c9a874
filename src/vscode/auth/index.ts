/**
 * The auth feature: the Accounts-menu provider, telling the user when the
 * server ended the session, and settings that change the connection.
 */
import * as vscode from 'vscode';
import type { CodeCraftContext } from '../context';
import { AuthProvider } from '../ids';
import { sessionEnded, signInInteractively, signOutInteractively } from './authCommands';
import { CodeCraftAuthenticationProvider } from './authProvider';

export function registerAuth(ctx: CodeCraftContext): vscode.Disposable[] {
  const provider = new CodeCraftAuthenticationProvider(
    ctx.account,
    () => signInInteractively(ctx),
    // VS Code has already asked "sign out?" when this comes from the Accounts menu.
    () => signOutInteractively(ctx, { confirmed: true }),
  );
  return [
    provider,
    vscode.authentication.registerAuthenticationProvider(AuthProvider.id, AuthProvider.label, provider, { supportsMultipleAccounts: false }),
    ctx.account.onDidChange((change) => {
      if (change.ended === 'expired') void sessionEnded(ctx);
    }),
    ctx.config.onDidChange((change) => {
      if (!change.connection) return;
      // Endpoint and project are the next sign-in's defaults; database and collections apply now.
      ctx.account.applySettings().catch((e: unknown) => ctx.errors.report(e, 'Applying the CodeCraft settings'));
    }),
  ];
}
