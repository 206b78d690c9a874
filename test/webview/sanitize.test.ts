/**
 * The sanitiser and the markdown renderer on the XSS corpus, in jsdom (a
 * spec-compliant HTML parser): assertions on the DOM that would reach the
 * page. Whether anything runs in a real browser is test/webview/browser.test.ts.
 */
import { strict as assert } from 'node:assert';
import { JSDOM } from 'jsdom';
import { chatHtml } from '../../src/vscode/chat/chatHtml';
import { markdownToHtml, parseFenceInfo, renderMarkdown, sanitizeHtml } from '../../src/webview/chat/markdown';
import { isHttpUrl, looksLikeFilePath, safeLanguage } from '../../src/webview/chat/sanitize';
import { CONTENT_PAYLOADS, LANGUAGE_PAYLOADS, TITLE_PAYLOADS } from './xssCorpus';

const { document } = new JSDOM('<!DOCTYPE html><body></body>').window;

const SAFE_TAGS = new Set(['a', 'blockquote', 'br', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul']);
const SAFE_ATTRIBUTES: Record<string, RegExp> = {
  href: /^https?:\/\//i,
  title: /^[^<>]*$|^/,
  class: /^(language-[a-z0-9][a-z0-9_+#.-]{0,31}|code-block|align-(left|center|right))$/,
  start: /^\d+$/,
  'data-lang': /^[a-z0-9][a-z0-9_+#.-]{0,31}$/,
  'data-file': /^[A-Za-z0-9_@+][A-Za-z0-9_.@+/-]*$/,
  'data-path': /^[A-Za-z0-9_@+][A-Za-z0-9_.@+/-]*$/,
};

/** Every element is on the allow-list, in the HTML namespace, with checked attributes only. */
function assertSafeTree(root: ParentNode, what: string): void {
  const walker = document.createTreeWalker(root as Node, 0xffffffff);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    assert.ok(node.nodeType === 1 || node.nodeType === 3, `${what}: a node of type ${node.nodeType} survived`);
    if (node.nodeType !== 1) continue;
    const el = node as Element;
    const tag = el.localName;
    assert.equal(el.namespaceURI, 'http://www.w3.org/1999/xhtml', `${what}: <${tag}> in a foreign namespace`);
    assert.ok(SAFE_TAGS.has(tag), `${what}: <${tag}> survived`);
    for (const attr of Array.from(el.attributes)) {
      const rule = SAFE_ATTRIBUTES[attr.name];
      assert.ok(rule, `${what}: <${tag} ${attr.name}="${attr.value}"> survived`);
      if (attr.name === 'class') for (const c of attr.value.split(/\s+/).filter(Boolean)) assert.match(c, rule, `${what}: class ${c}`);
      else assert.match(attr.value, rule, `${what}: ${attr.name}="${attr.value}"`);
      if (attr.name === 'href') assert.ok(['http:', 'https:'].includes(new URL(attr.value).protocol), `${what}: href ${attr.value}`);
    }
  }
}

function fragmentHtml(f: DocumentFragment): string {
  const div = document.createElement('div');
  div.append(f.cloneNode(true));
  return div.innerHTML;
}

describe('chat webview: sanitiser and markdown on the XSS corpus', () => {
  it('has at least 25 payloads for message content, and more for languages and titles', () => {
    assert.ok(CONTENT_PAYLOADS.length >= 25, `${CONTENT_PAYLOADS.length} content payloads`);
    assert.ok(LANGUAGE_PAYLOADS.length >= 5);
    assert.ok(TITLE_PAYLOADS.length >= 3);
    assert.equal(new Set(CONTENT_PAYLOADS.map((p) => p.name)).size, CONTENT_PAYLOADS.length);
  });

  for (const p of CONTENT_PAYLOADS) {
    it(`markdown: ${p.name} renders as harmless DOM, its text kept`, () => {
      const fragment = renderMarkdown(p.content, document);
      assertSafeTree(fragment, p.name);
      assert.equal(fragment.querySelectorAll('script, iframe, svg, img, object, embed, style, form, input, math, meta, base, video, template, details, body').length, 0, fragmentHtml(fragment));
      // Raw HTML is shown as text, not dropped: the reader still sees what was written.
      assert.ok((fragment.textContent ?? '').trim().length > 0, `${p.name}: nothing left to read`);
    });

    it(`raw HTML: ${p.name} is stripped to allowed elements and attributes`, () => {
      const fragment = sanitizeHtml(p.content, document);
      assertSafeTree(fragment, p.name);
    });
  }

  it('with raw HTML off, markup in content is escaped text', () => {
    const html = markdownToHtml('<script>alert(1)</script> and <b>bold</b>');
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; and &lt;b&gt;bold&lt;\/b&gt;/);
    const fragment = renderMarkdown('<script>alert(1)</script>', document);
    assert.equal(fragment.textContent!.trim(), '<script>alert(1)</script>');
  });

  it('keeps http(s) links, and only those', () => {
    const fragment = renderMarkdown('[docs](https://codecraft.dev/docs) [mail](mailto:a@b.c) [js](javascript:x) [rel](/etc/passwd) https://example.com/auto', document);
    const hrefs = Array.from(fragment.querySelectorAll('a')).map((a) => a.getAttribute('href'));
    assert.deepEqual(hrefs, ['https://codecraft.dev/docs', 'https://example.com/auto']);
    assert.match(fragment.textContent!, /mail/);
  });

  it('turns a relative link to a project path into a file reference', () => {
    const fragment = renderMarkdown('See [the app](src/App.tsx) and [up](../x.ts).', document);
    assert.deepEqual(Array.from(fragment.querySelectorAll('[data-path]')).map((e) => e.getAttribute('data-path')), ['src/App.tsx']);
    assert.equal(fragment.querySelectorAll('a').length, 0);
  });

  it('drops SVG and MathML whatever their element names, and unwraps unknown HTML elements', () => {
    const fragment = sanitizeHtml('<svg><a href="https://x.y"><text>svg link</text></a><foreignObject><p>inside svg</p></foreignObject></svg><math><mi>x</mi></math><custom-el><b>kept</b> text</custom-el><font color=red>old</font>', document);
    assertSafeTree(fragment, 'foreign');
    const html = fragmentHtml(fragment);
    assert.doesNotMatch(html, /svg link|inside svg|<mi>/);
    assert.match(fragment.textContent!, /kept text/);
    assert.match(fragment.textContent!, /old/);
  });

  it('keeps table alignment as a class, not an inline style', () => {
    const fragment = renderMarkdown('| a | b |\n|:-:|--:|\n| 1 | 2 |', document);
    assert.deepEqual(Array.from(fragment.querySelectorAll('th')).map((t) => t.className), ['align-center', 'align-right']);
    assert.equal(fragment.querySelectorAll('[style]').length, 0);
  });

  describe('code fences', () => {
    for (const p of LANGUAGE_PAYLOADS) {
      it(`language ${p.name} becomes a checked class or none`, () => {
        const fragment = renderMarkdown(`\`\`\`${p.content}\nconst x = 1;\n\`\`\``, document);
        assertSafeTree(fragment, p.name);
        const code = fragment.querySelector('pre > code')!;
        assert.equal(code.textContent, 'const x = 1;\n');
        const cls = code.getAttribute('class');
        if (cls !== null) assert.match(cls, /^language-[a-z0-9][a-z0-9_+#.-]{0,31}$/);
        assert.equal(fragment.querySelectorAll('pre').length, 1);
      });
    }

    it('reads the language and the file a fence names', () => {
      assert.deepEqual(parseFenceInfo('tsx src/App.tsx'), { lang: 'tsx', file: 'src/App.tsx' });
      assert.deepEqual(parseFenceInfo('tsx:src/App.tsx'), { lang: 'tsx', file: 'src/App.tsx' });
      assert.deepEqual(parseFenceInfo('ts title="src/a.ts"'), { lang: 'ts', file: 'src/a.ts' });
      assert.deepEqual(parseFenceInfo('C++'), { lang: 'c++' });
      assert.deepEqual(parseFenceInfo('src/index.js'), { file: 'src/index.js' });
      assert.deepEqual(parseFenceInfo('"><img'), {});
      assert.deepEqual(parseFenceInfo('ts ../../etc/passwd'), { lang: 'ts' });
      const fragment = renderMarkdown('```typescript src/App.tsx\nexport {};\n```', document);
      const block = fragment.querySelector('div.code-block')!;
      assert.deepEqual([block.getAttribute('data-lang'), block.getAttribute('data-file'), block.querySelector('code')!.className], ['typescript', 'src/App.tsx', 'language-typescript']);
    });

    it('checks language names', () => {
      assert.equal(safeLanguage(' TypeScript '), 'typescript');
      assert.equal(safeLanguage('objective-c'), 'objective-c');
      for (const bad of ['', 'a b', 'x"y', '<svg>', 'javascript:alert', 'a'.repeat(40), '-x', 'é']) assert.equal(safeLanguage(bad), undefined, bad);
    });
  });

  it('recognises project paths and http(s) URLs conservatively', () => {
    for (const good of ['src/App.tsx', './src/App.tsx', 'package.json', 'src/components/Button.tsx', '.github/x.yml'.slice(1)]) assert.ok(looksLikeFilePath(good), good);
    for (const bad of ['App', '../x.ts', '/etc/passwd', 'a//b.ts', 'src/../x.ts', 'C:\\x.ts', 'a b.ts', 'x.ts\u0000', 'https://x.y/a.ts', '']) assert.ok(!looksLikeFilePath(bad), bad);
    for (const good of ['https://a.b', 'HTTP://a.b/c?d#e']) assert.ok(isHttpUrl(good), good);
    for (const bad of ['javascript:alert(1)', ' https://a.b', 'https:/a.b', 'http://', '//a.b', 'data:text/html,x', 'java\tscript:x']) assert.ok(!isHttpUrl(bad), bad);
  });

  describe('project titles in the panel HTML', () => {
    for (const p of TITLE_PAYLOADS) {
      it(`${p.name} stays text in <title>, and the page has exactly its one nonce'd script`, () => {
        const html = chatHtml({ cspSource: 'https://webview.test', nonce: 'abcdefghijklmnopqrstuvwx', scriptUri: 'https://webview.test/chat.js', styleUri: 'https://webview.test/chat.css', projectId: `p1"><script>x</script>`, title: p.content });
        const doc = new JSDOM(html).window.document;
        assert.equal(doc.title, p.content);
        const scripts = Array.from(doc.querySelectorAll('script'));
        assert.deepEqual(scripts.map((s) => [s.getAttribute('nonce'), s.getAttribute('src'), s.textContent]), [['abcdefghijklmnopqrstuvwx', 'https://webview.test/chat.js', '']]);
        assert.deepEqual(Array.from(doc.head.children).map((e) => e.localName), ['meta', 'meta', 'meta', 'title', 'link']);
        assert.equal(doc.getElementById('app')!.getAttribute('data-project-id'), `p1"><script>x</script>`);
        for (const el of Array.from(doc.querySelectorAll('*'))) {
          for (const a of Array.from(el.attributes)) assert.doesNotMatch(a.name, /^on/i);
        }
      });
    }

    it("sets a CSP that allows nothing but the bundle's styles and nonce'd scripts", () => {
      const html = chatHtml({ cspSource: 'https://webview.test', nonce: 'abcdefghijklmnopqrstuvwx', scriptUri: 'https://webview.test/chat.js', styleUri: 'https://webview.test/chat.css', projectId: 'p1', title: 't' });
      const csp = new JSDOM(html).window.document.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')!;
      assert.match(csp, /^default-src 'none'; /);
      assert.match(csp, /script-src 'nonce-abcdefghijklmnopqrstuvwx'(;|$)/);
      assert.match(csp, /style-src https:\/\/webview\.test(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
      const page = (cspSource: string) => chatHtml({ cspSource, nonce: 'abcdefghijklmnopqrstuvwx', scriptUri: '', styleUri: '', projectId: 'p', title: 't' });
      assert.throws(() => page("https://x 'unsafe-inline'"));
      assert.throws(() => page('https://x; script-src *'));
      const csp2 = new JSDOM(page("'self' https://*.vscode-cdn.net")).window.document.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')!;
      assert.match(csp2, /style-src 'self' https:\/\/\*\.vscode-cdn\.net;/);
    });
  });
});
