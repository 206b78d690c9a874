/**
 * The chat panel's HTML: a strict CSP (`default-src 'none'`), the stylesheet
 * and script of the webview bundle only, the script by nonce, no inline
 * handlers or styles. No `vscode` import: the browser tests and the benchmark
 * load exactly this page.
 */

export interface ChatHtmlOptions {
  /** `webview.cspSource`: where the panel may load its bundle from (one or more sources). */
  cspSource: string;
  /** A fresh random nonce for this page. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  projectId: string;
  title: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The Content-Security-Policy of the panel. */
export function chatCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
}

export function chatHtml(o: ChatHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('chatHtml: the nonce must be at least 16 base64 characters');
  // `webview.cspSource` may list several sources ("'self' https://*.vscode-cdn.net"); it must not end the directive.
  if (/[;,\r\n]/.test(o.cspSource) || /'unsafe-/i.test(o.cspSource)) throw new Error('chatHtml: the CSP source must be a list of sources for one directive');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(chatCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
</head>
<body>
<div id="app" data-project-id="${escapeHtml(o.projectId)}"></div>
<script nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}
