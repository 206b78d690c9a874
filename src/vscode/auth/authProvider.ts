import * as vscode from 'vscode';
import type { AccountService } from './accountService';

/**
 * Puts the signed-in CodeCraft account in VS Code's Accounts menu: signing in
 * from there runs "CodeCraft: Sign In", signing out runs Sign Out. The session
 * secret is not handed to other extensions: `accessToken` is empty.
 */
export class CodeCraftAuthenticationProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changed.event;
  private session: vscode.AuthenticationSession | undefined;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly account: AccountService,
    private readonly signIn: () => Promise<unknown>,
    private readonly signOut: () => Promise<unknown>,
  ) {
    this.session = this.current();
    this.subscription = account.onDidChange(() => this.update());
  }

  getSessions(): Thenable<vscode.AuthenticationSession[]> {
    return Promise.resolve(this.session ? [this.session] : []);
  }

  async createSession(): Promise<vscode.AuthenticationSession> {
    await this.signIn();
    const session = this.current();
    if (!session) throw new Error('Sign in to CodeCraft was cancelled');
    return session;
  }

  async removeSession(sessionId: string): Promise<void> {
    if (this.session?.id === sessionId) await this.signOut();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private current(): vscode.AuthenticationSession | undefined {
    const state = this.account.state;
    const who = this.account.account;
    if (!who || state.kind === 'signedOut') return undefined;
    const endpoint = state.kind === 'signedIn' ? state.connection.endpoint : state.endpoint;
    return {
      id: `${who.userId}@${endpoint}`,
      accessToken: '',
      account: { id: who.userId, label: who.email || who.name || who.userId },
      scopes: [],
    };
  }

  private update(): void {
    const before = this.session;
    const after = this.current();
    this.session = after;
    if (before?.id === after?.id && before?.account.label === after?.account.label) return;
    if (before && after && before.id === after.id) this.changed.fire({ added: [], removed: [], changed: [after] });
    else this.changed.fire({ added: after ? [after] : [], removed: before ? [before] : [], changed: [] });
  }
}
