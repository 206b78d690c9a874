/** Helpers for the extension-host suites: the extension's API, and what the runner's local backend sees. */
import * as assert from 'node:assert/strict';
import { Client, Databases, ID, Permission, Query, Role } from 'node-appwrite';
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

/** A document as the server SDK returns it (the attributes loosely typed). */
export type ServerDoc = { $id: string; $updatedAt: string; [field: string]: unknown };

/**
 * "Another device": the official server SDK writing straight to the runner's backend with its API
 * key (no session of the demo user is used up). New documents get the demo user's permissions.
 */
export function otherDevice() {
  const key = process.env[TestEnv.apiKey];
  assert.ok(key, `${TestEnv.apiKey} is not set by the runner`);
  const client = new Client().setEndpoint(backendUrl()).setProject('codecraft').setKey(key);
  const db = new Databases(client);
  const DB = 'codecraft';
  const owner = [Permission.read(Role.user('demo')), Permission.update(Role.user('demo')), Permission.delete(Role.user('demo'))];
  return {
    db,
    get: (collection: string, id: string) => db.getDocument(DB, collection, id) as Promise<ServerDoc>,
    /** The document, or undefined when the server has none with this id. */
    find: (collection: string, id: string) =>
      (db.getDocument(DB, collection, id) as Promise<ServerDoc>).catch((e: { code?: number }) => {
        if (e?.code === 404) return undefined;
        throw e;
      }),
    list: (collection: string, queries: string[]) => db.listDocuments(DB, collection, queries),
    create: (collection: string, data: Record<string, unknown>, id: string = ID.unique()) => db.createDocument(DB, collection, id, data, owner),
    update: (collection: string, id: string, data: Record<string, unknown>) => db.updateDocument(DB, collection, id, data),
    remove: (collection: string, id: string) => db.deleteDocument(DB, collection, id),
    Query,
  };
}

/** While muted, the runner's backend commits writes without announcing them over realtime (a lost message). */
export async function muteRealtime(muted: boolean): Promise<void> {
  const res = await fetch(`${backendUrl()}${BackendProbe.muteRealtime}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ muted }) });
  assert.equal(res.status, 200);
}

/** Sets the runner's backend fault injection (e.g. "error503=1"); '' clears it. (With the API key: faults never apply to it.) */
export async function backendFaults(spec: string): Promise<void> {
  const key = process.env[TestEnv.apiKey]!;
  const res = await fetch(`${backendUrl()}${BackendProbe.faults}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-appwrite-key': key, 'x-appwrite-project': 'codecraft' },
    body: JSON.stringify({ spec }),
  });
  assert.equal(res.status, 200);
}
