/**
 * Entry of the chat webview bundle (dist/webview/chat.js): finds the mount
 * point the host's HTML provides and starts the panel.
 */
import { ChatApp, type VsCodeApi } from './app';
import './chat.css';

declare function acquireVsCodeApi(): VsCodeApi;

const mount = document.getElementById('app');
if (mount) {
  const api = acquireVsCodeApi();
  const app = new ChatApp(api, mount, mount.dataset.projectId ?? '');
  window.addEventListener('message', (e: MessageEvent) => app.receive(e.data));
  window.addEventListener('error', (e) => app.report('error', `Script error: ${String(e.message)}`));
}
