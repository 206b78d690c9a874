/**
 * The questions "CodeCraft: Sign In" asks, one step at a time, with Back.
 * The asking itself goes through a Prompter: input boxes in VS Code
 * (inputBoxPrompter.ts), scripted answers in the tests. No `vscode` import.
 */
import { InvalidError } from '../../core/errors';
import { normaliseEndpoint } from '../../infra/appwrite/client';
import type { SignInAnswers } from './accountService';

export type StepId = 'endpoint' | 'project' | 'email' | 'password';
export const STEP_ORDER: readonly StepId[] = ['endpoint', 'project', 'email', 'password'];

export const BACK = Symbol('back');

export interface PromptStep {
  id: StepId;
  /** 1-based, of `totalSteps`. */
  step: number;
  totalSteps: number;
  title: string;
  /** Names what is asked for. */
  prompt: string;
  placeholder: string;
  /** Pre-filled answer. */
  value: string;
  password: boolean;
  /** An error to show until the answer is edited (why the last attempt failed). */
  message?: string;
  /** Undefined when acceptable, else why not (shown while typing). */
  validate(value: string): string | undefined;
}

export interface Prompter {
  /** The answer, BACK for the Back button, or undefined when the user cancelled. */
  ask(step: PromptStep): Promise<string | typeof BACK | undefined>;
}

const TITLE = 'Sign in to CodeCraft';
const APPWRITE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/;

/** Why an endpoint is refused (empty, not a URL, plain http:// off this machine…), or undefined. */
export function endpointProblem(value: string): string | undefined {
  try {
    normaliseEndpoint(value);
    return undefined;
  } catch (e) {
    return e instanceof InvalidError ? e.message : String(e);
  }
}

const STEPS: Record<StepId, Omit<PromptStep, 'id' | 'step' | 'totalSteps' | 'title' | 'value' | 'message'>> = {
  endpoint: {
    prompt: 'Appwrite endpoint: the API address of the server that holds your CodeCraft data',
    placeholder: 'https://cloud.appwrite.io/v1',
    password: false,
    validate: endpointProblem,
  },
  project: {
    prompt: 'Appwrite project ID: the project that holds the CodeCraft database',
    placeholder: 'e.g. codecraft',
    password: false,
    validate: (v) =>
      !v.trim()
        ? 'Enter the Appwrite project ID.'
        : APPWRITE_ID.test(v.trim())
          ? undefined
          : 'A project ID has up to 36 letters, digits, ".", "-" or "_", and starts with a letter or digit.',
  },
  email: {
    prompt: 'E-mail address of your CodeCraft account',
    placeholder: 'you@example.com',
    password: false,
    validate: (v) => (/^[^\s@]+@[^\s@]+$/.test(v.trim()) ? undefined : 'Enter the e-mail address you sign in to CodeCraft with.'),
  },
  password: {
    prompt: 'Password of your CodeCraft account',
    placeholder: '',
    password: true,
    validate: (v) => (v.length > 0 ? undefined : 'Enter your password.'),
  },
};

export interface AskOptions {
  /** Pre-filled answers (the password is never pre-filled from a previous attempt unless given here). */
  initial: Partial<SignInAnswers>;
  /** Start at this step (the earlier ones keep their answers; Back reaches them). */
  startAt?: StepId;
  /** Shown at the first step asked: why the last attempt failed. */
  message?: string;
}

/** Asks the four questions with Back support; undefined when the user cancels. */
export async function askSignInAnswers(prompter: Prompter, options: AskOptions): Promise<SignInAnswers | undefined> {
  const answers: SignInAnswers = { endpoint: '', project: '', email: '', password: '', ...options.initial };
  let index = options.startAt ? STEP_ORDER.indexOf(options.startAt) : 0;
  let message = options.message;
  while (index < STEP_ORDER.length) {
    const id = STEP_ORDER[index]!;
    const step: PromptStep = { id, step: index + 1, totalSteps: STEP_ORDER.length, title: TITLE, value: answers[id], ...STEPS[id] };
    if (message) step.message = message;
    message = undefined;
    const answer = await prompter.ask(step);
    if (answer === undefined) return undefined;
    if (answer === BACK) {
      index = Math.max(0, index - 1);
      continue;
    }
    const problem = step.validate(answer);
    if (problem) {
      // A prompter should not accept an invalid answer; ask again with it, saying why.
      if (id !== 'password') answers[id] = answer;
      message = problem;
      continue;
    }
    answers[id] = id === 'password' ? answer : answer.trim();
    index++;
  }
  return answers;
}
