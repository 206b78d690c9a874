import { randomBytes } from 'node:crypto';
import { invalidParam } from './errors';

/** An id shaped like Appwrite's ID.unique(): 20 hex characters, time-ordered prefix plus randomness. */
export function uniqueId(): string {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  const usec = (now % 1000) * 1000 + Math.floor(Math.random() * 1000);
  return sec.toString(16) + usec.toString(16).padStart(5, '0') + randomBytes(4).toString('hex').slice(0, 7);
}

const CUSTOM_ID = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,35}$/;

/** Appwrite's CustomId validator: at most 36 chars of a-z, A-Z, 0-9, period, hyphen, underscore, not starting with a special char. */
export function validateCustomId(param: string, value: unknown): string {
  if (typeof value !== 'string' || !CUSTOM_ID.test(value)) {
    throw invalidParam(
      param,
      'Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can\'t start with a special char',
    );
  }
  return value;
}

/** `unique()` asks the server to generate an id; anything else must be a valid custom id. */
export function resolveId(param: string, value: unknown): string {
  return value === 'unique()' ? uniqueId() : validateCustomId(param, value);
}
