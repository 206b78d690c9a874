/**
 * An allow-list sanitiser for the HTML the markdown renderer produces. The
 * renderer already runs with raw HTML off; this is the second wall: whatever
 * reaches the DOM is one of a few harmless elements with a few checked
 * attributes. It works on a parsed, inert tree (a <template>'s content) and
 * never serialises and re-parses, so nothing can change meaning in between.
 *
 * - Elements that can run, load or embed anything (script, style, iframe,
 *   svg, math, object, img, form controls, …) go with everything inside them.
 * - Other unknown elements are replaced by their (sanitised) children.
 * - Attributes not on the list go, event handlers and `style` included.
 * - `href` stays only when it is an absolute http(s) URL; a relative link
 *   that names a project path becomes a file reference (`data-path`).
 */

/** Elements kept as they are (with their allowed attributes). */
const ALLOWED = new Set([
  'A', 'BLOCKQUOTE', 'BR', 'CODE', 'DEL', 'DIV', 'EM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HR', 'LI',
  'OL', 'P', 'PRE', 'S', 'SPAN', 'STRONG', 'TABLE', 'TBODY', 'TD', 'TH', 'THEAD', 'TR', 'UL',
]);

/** Elements dropped together with their content. */
const DROPPED = new Set([
  'APPLET', 'AUDIO', 'BASE', 'BASEFONT', 'BUTTON', 'CANVAS', 'EMBED', 'FORM', 'FRAME', 'FRAMESET', 'HEAD',
  'IFRAME', 'IMG', 'IMAGE', 'INPUT', 'LINK', 'MATH', 'META', 'NOEMBED', 'NOFRAMES', 'NOSCRIPT', 'OBJECT',
  'OPTION', 'PARAM', 'PICTURE', 'PORTAL', 'SCRIPT', 'SELECT', 'SOURCE', 'STYLE', 'SVG', 'TEMPLATE',
  'TEXTAREA', 'TITLE', 'TRACK', 'VIDEO', 'XMP', 'PLAINTEXT', 'LISTING', 'DIALOG', 'FENCEDFRAME',
]);

/** A code block's language as a CSS class suffix: lower case letters, digits and + # _ . - only. */
export const LANGUAGE = /^[a-z0-9][a-z0-9_+#.-]{0,31}$/;

/** Lower-cases and checks a language name from a code fence; undefined when it is not a plain name. */
export function safeLanguage(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const lang = raw.trim().toLowerCase();
  return LANGUAGE.test(lang) ? lang : undefined;
}

/**
 * A project-relative file path as messages name them (`src/App.tsx`,
 * `package.json`): '/'-separated segments of letters, digits and `_ . - @ +`,
 * no `..`, no leading '/', at most 300 characters. The host checks again
 * with the full path rules before opening anything.
 */
const PATH_SEGMENT = /^[A-Za-z0-9_@+][A-Za-z0-9_.@+-]{0,127}$/;
export function looksLikeFilePath(raw: string): boolean {
  let s = raw.trim();
  if (s.startsWith('./')) s = s.slice(2);
  if (!s || s.length > 300 || s !== raw.trim().replace(/^\.\//, '')) return false;
  const parts = s.split('/');
  if (!parts.every((p) => PATH_SEGMENT.test(p) && p !== '.' && p !== '..')) return false;
  // A bare word is no path: it needs a folder or an extension.
  return parts.length > 1 || /\.[A-Za-z0-9]{1,10}$/.test(s);
}

/** The path of a file reference, without a leading './'. */
export function normalFilePath(raw: string): string {
  const s = raw.trim();
  return s.startsWith('./') ? s.slice(2) : s;
}

/** True for an absolute http or https URL (the only links the panel opens). */
export function isHttpUrl(href: string): boolean {
  // Whitespace and control characters inside a scheme are how `java\tscript:` gets past naive checks.
  if (!/^https?:\/\//i.test(href)) return false;
  try {
    const u = new URL(href);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const CLASS_RULES: Record<string, RegExp> = {
  CODE: /^language-[a-z0-9][a-z0-9_+#.-]{0,31}$/,
  DIV: /^code-block$/,
  TH: /^align-(left|center|right)$/,
  TD: /^align-(left|center|right)$/,
};

function keepAttribute(el: Element, name: string, value: string): boolean {
  const tag = el.tagName;
  switch (name) {
    case 'href':
      return tag === 'A' && isHttpUrl(value);
    case 'title':
      return tag === 'A' && value.length <= 500;
    case 'class': {
      const rule = CLASS_RULES[tag];
      return !!rule && value.split(/\s+/).filter(Boolean).every((c) => rule.test(c));
    }
    case 'start':
      return tag === 'OL' && /^\d{1,9}$/.test(value);
    case 'data-lang':
      return tag === 'DIV' && LANGUAGE.test(value);
    case 'data-file':
    case 'data-path':
      return (tag === 'DIV' || tag === 'SPAN' || tag === 'CODE') && looksLikeFilePath(value);
    default:
      return false;
  }
}

/** Removes or unwraps everything not on the allow-list, in place. Works on any DOM (browser or jsdom). */
export function sanitizeTree(root: DocumentFragment | Element): void {
  const doc = root.ownerDocument!;
  // Depth-first, children before the decision about their parent is final.
  const walk = (parent: Node) => {
    let child = parent.firstChild;
    while (child) {
      const next = child.nextSibling;
      if (child.nodeType === 3 /* text */) {
        // fine
      } else if (child.nodeType !== 1 /* element */) {
        parent.removeChild(child); // comments, processing instructions, CDATA
      } else {
        const el = child as Element;
        const tag = el.tagName.toUpperCase();
        // Elements in a foreign namespace (SVG, MathML) are never kept, whatever their name.
        const html = el.namespaceURI === 'http://www.w3.org/1999/xhtml';
        if (!html || DROPPED.has(tag)) {
          parent.removeChild(el);
        } else if (!ALLOWED.has(tag)) {
          walk(el);
          while (el.firstChild) parent.insertBefore(el.firstChild, el);
          parent.removeChild(el);
        } else {
          walk(cleanAttributes(el, doc));
        }
      }
      child = next;
    }
  };
  walk(root);
}

/** Drops attributes not on the list; returns the element that now stands in its place (a dead link becomes a span). */
function cleanAttributes(el: Element, doc: Document): Element {
  const tag = el.tagName.toUpperCase();
  // Table alignment arrives as an inline style (blocked by the CSP anyway): keep it as a class.
  const style = el.getAttribute('style');
  const align = style && /^\s*text-align\s*:\s*(left|center|right)\s*;?\s*$/i.exec(style);
  const href = tag === 'A' ? el.getAttribute('href') : null;
  for (const attr of Array.from(el.attributes)) {
    if (!keepAttribute(el, attr.name.toLowerCase(), attr.value)) el.removeAttribute(attr.name);
  }
  if (align && (tag === 'TH' || tag === 'TD')) el.setAttribute('class', `align-${align[1]!.toLowerCase()}`);
  if (tag !== 'A' || el.hasAttribute('href')) return el;
  // A link the panel will not open: its text stays, as a file reference when it names a project path.
  const span = doc.createElement('span');
  while (el.firstChild) span.appendChild(el.firstChild);
  if (href && looksLikeFilePath(href)) span.setAttribute('data-path', normalFilePath(href));
  el.replaceWith(span);
  return span;
}
