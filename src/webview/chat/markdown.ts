/**
 * Markdown → sanitised DOM. markdown-it with raw HTML off renders the text;
 * the result is parsed into an inert <template> and cleaned by the allow-list
 * sanitiser before anything is attached to the page. Code fences become
 * `div.code-block` with a checked language (`data-lang`, class
 * `language-<lang>`) and, when the fence names one, the file it shows
 * (`data-file`): "```tsx src/App.tsx", "```tsx:src/App.tsx" or
 * "```tsx title="src/App.tsx"".
 *
 * Works on any Document (the webview's, or jsdom's in tests).
 */
import MarkdownIt from 'markdown-it';
import { looksLikeFilePath, normalFilePath, safeLanguage, sanitizeTree } from './sanitize';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
const escape = md.utils.escapeHtml;

/** Language and file named by a fence's info string. */
export function parseFenceInfo(info: string): { lang?: string; file?: string } {
  const words = info.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return {};
  let first = words[0]!;
  let file: string | undefined;
  const colon = first.indexOf(':');
  if (colon > 0) {
    const after = first.slice(colon + 1);
    first = first.slice(0, colon);
    if (looksLikeFilePath(after)) file = normalFilePath(after);
  }
  const lang = safeLanguage(first);
  for (const word of words.slice(1)) {
    if (file) break;
    const m = /^(?:title|file|path|filename)=(["']?)(.+)\1$/i.exec(word);
    const candidate = m ? m[2]! : word;
    if (looksLikeFilePath(candidate)) file = normalFilePath(candidate);
  }
  // "```src/App.tsx" alone: the first word is the file.
  if (!lang && !file && looksLikeFilePath(words[0]!)) file = normalFilePath(words[0]!);
  const out: { lang?: string; file?: string } = {};
  if (lang) out.lang = lang;
  if (file) out.file = file;
  return out;
}

md.renderer.rules.fence = (tokens, idx) => {
  const token = tokens[idx]!;
  const { lang, file } = parseFenceInfo(token.info);
  const attrs = `${lang ? ` data-lang="${escape(lang)}"` : ''}${file ? ` data-file="${escape(file)}"` : ''}`;
  const cls = lang ? ` class="language-${escape(lang)}"` : '';
  return `<div class="code-block"${attrs}><pre><code${cls}>${escape(token.content)}</code></pre></div>\n`;
};

md.renderer.rules.code_block = (tokens, idx) => `<div class="code-block"><pre><code>${escape(tokens[idx]!.content)}</code></pre></div>\n`;

// Images never load in the panel (the CSP has no img-src): show them as a link to the image.
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  const alt = token.children?.map((c) => c.content).join('') || 'image';
  return `<a href="${escape(src)}">${escape(`[image: ${alt}]`)}</a>`;
};

/** The HTML markdown-it produces for `content` (raw HTML in the content is escaped, not passed through). */
export function markdownToHtml(content: string): string {
  return md.render(content);
}

/** Renders markdown into a sanitised fragment owned by `doc`. */
export function renderMarkdown(content: string, doc: Document): DocumentFragment {
  const template = doc.createElement('template');
  template.innerHTML = markdownToHtml(content);
  const fragment = template.content;
  sanitizeTree(fragment);
  return fragment;
}

/** Sanitises arbitrary HTML into a fragment (tests use it on raw payloads). */
export function sanitizeHtml(html: string, doc: Document): DocumentFragment {
  const template = doc.createElement('template');
  template.innerHTML = html;
  sanitizeTree(template.content);
  return template.content;
}
