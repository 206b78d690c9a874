/** Helpers for the extension-host suites: the extension's API, and what the runner's local backend sees. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { BackendProbe, EXTENSION_ID, TestEnv, type CodeCraftApi } from './fixtures';

export async function activateApi(): Promise<CodeCraftApi> {
  const ext = vscode.extensions.getExtension<CodeCraftApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
  return ext.activate();
}

export function testing(api: CodeCraftApi): NonNullable<CodeCraftApi['testing']> {
  assert.ok(api.testing, 'the test API is missing: is this extension test mode?');
  return api.testing;
}

export function backendUrl(): string {
  const url = process.env[TestEnv.backend];
  assert.ok(url, `${TestEnv.backend} is not set by the runner`);
  return url;
}

/** Open realtime sockets on the runner's backend. */
export async function sockets(): Promise<number> {
  const res = await fetch(`${backendUrl()}${BackendProbe.sockets}`);
  return ((await res.json()) as { connections: number }).connections;
}

export async function dropSessions(): Promise<void> {
  const res = await fetch(`${backendUrl()}${BackendProbe.dropSessions}`, { method: 'POST' });
  assert.equal(res.status, 200);
}

/** Polls until `read` satisfies `ok` (no fixed sleeps); returns the last value. */
export async function eventually<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, ms = 10_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what} (last value: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

/** Acts on the runner's backend through its control port (see test/harness/backendControl.ts). */
export async function control<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string): Promise<T> {
  const base = process.env[TestEnv.control];
  assert.ok(base, `${TestEnv.control} is not set by the runner`);
  const res = await fetch(`${base}${path}`, { method });
  const body = (await res.json()) as T;
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(body)}`);
  return body;
}
