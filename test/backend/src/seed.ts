import type { AuthService } from './auth';

export type SeedName = 'demo' | 'empty';

export const DEMO_USER = { email: 'demo@codecraft.dev', password: 'codecraft-demo', name: 'Demo User' } as const;

/** Seeds a fresh backend. `demo` creates the demo account (once; a restart keeps it), `empty` nothing. */
export function applySeed(seed: SeedName, auth: AuthService): void {
  if (seed === 'empty') return;
  if (!auth.findUserByEmail(DEMO_USER.email)) {
    auth.createUser('demo', DEMO_USER.email, DEMO_USER.password, DEMO_USER.name);
  }
}
