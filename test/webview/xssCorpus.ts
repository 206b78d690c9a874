/**
 * Hostile content for the chat panel: message text, code-fence languages and
 * project titles that try to run script. Every payload that ran would push
 * its name onto `__xss` of its own window and of every same-origin window
 * above it (so also of the chat page when it ran in a frame inside it): the
 * flag the browser checks read. In VS Code the workbench above the webview is
 * another origin, which is why this does not simply write to `top`.
 */

/** Script that records that payload `name` ran. No double quotes: it goes inside attributes. */
export const hit = (name: string) =>
  `(function(w){for(;;){try{(w.__xss=w.__xss||[]).push('${name}')}catch(e){}if(w===w.parent)return;w=w.parent}})(window)`;

export interface Payload {
  name: string;
  content: string;
}

/** Message content (rendered as markdown for the assistant, as text for the user). */
export const CONTENT_PAYLOADS: Payload[] = [
  { name: 'script-tag', content: `<script>${hit('script-tag')}</script>` },
  { name: 'img-onerror', content: `<img src=x onerror="${hit('img-onerror')}">` },
  { name: 'svg-onload', content: `<svg onload="${hit('svg-onload')}"></svg>` },
  { name: 'svg-script', content: `<svg><script>${hit('svg-script')}</script></svg>` },
  { name: 'svg-animate-href', content: `<svg><a><animate attributeName=href values="javascript:${hit('svg-animate-href')}"/><text y=20>x</text></a></svg>` },
  { name: 'svg-xlink', content: `<svg><a xlink:href="javascript:${hit('svg-xlink')}"><text y=20>click</text></a></svg>` },
  { name: 'iframe-js', content: `<iframe src="javascript:${hit('iframe-js')}"></iframe>` },
  { name: 'iframe-srcdoc', content: `<iframe srcdoc="<script>${hit('iframe-srcdoc')}</script>"></iframe>` },
  { name: 'md-js-link', content: `[click me](javascript:${hit('md-js-link')})` },
  { name: 'md-js-link-case', content: `[click me](JaVaScRiPt:${hit('md-js-link-case')})` },
  { name: 'md-entity-link', content: `[click me](&#106;avascript:${hit('md-entity-link')})` },
  { name: 'md-hex-entity-link', content: `[click me](&#x6A;&#x61;vascript&#x3A;${hit('md-hex-entity-link')})` },
  { name: 'md-tab-in-scheme', content: `[click me](java&#x09;script:${hit('md-tab-in-scheme')})` },
  { name: 'md-angle-link', content: `[click me](<javascript:${hit('md-angle-link')}>)` },
  { name: 'md-autolink-js', content: `<javascript:${hit('md-autolink-js')}>` },
  { name: 'md-reference-link', content: `[click me][evil]\n\n[evil]: javascript:${hit('md-reference-link')}` },
  { name: 'md-data-link', content: `[click me](data:text/html;base64,${Buffer.from(`<script>${hit('md-data-link')}</script>`).toString('base64')})` },
  { name: 'md-vbscript-link', content: `[click me](vbscript:msgbox(1))` },
  { name: 'md-image-js', content: `![look](javascript:${hit('md-image-js')})` },
  { name: 'md-image-svg-data', content: `![look](data:image/svg+xml;base64,PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnIG9ubG9hZD0nYWxlcnQoMSknLz4=)` },
  { name: 'md-image-attr-break', content: `![x](x" onerror="${hit('md-image-attr-break')})` },
  { name: 'md-link-attr-break', content: `[x](https://example.com" onclick="${hit('md-link-attr-break')})` },
  { name: 'md-link-title-break', content: `[x](https://example.com "t\\" onmouseover=\\"${hit('md-link-title-break')}")` },
  { name: 'raw-a-js', content: `<a href="javascript:${hit('raw-a-js')}">raw link</a>` },
  { name: 'css-url-js', content: `<div style="background:url(javascript:${hit('css-url-js')})">css</div>` },
  { name: 'style-tag', content: `<style>@import 'https://evil.example/x.css'; body{background:url("javascript:${hit('style-tag')}")}</style>` },
  { name: 'css-expression', content: `<p style="width:expression(${hit('css-expression')})">old IE</p>` },
  { name: 'mxss-math-style', content: `<math><mtext><table><mglyph><style><img src=x onerror="${hit('mxss-math-style')}">` },
  { name: 'mxss-noscript', content: `<noscript><p title="</noscript><img src=x onerror=${hit('mxss-noscript')}>">` },
  { name: 'object-data', content: `<object data="javascript:${hit('object-data')}"></object>` },
  { name: 'embed-src', content: `<embed src="javascript:${hit('embed-src')}">` },
  { name: 'form-action', content: `<form><button formaction="javascript:${hit('form-action')}">go</button></form>` },
  { name: 'details-ontoggle', content: `<details open ontoggle="${hit('details-ontoggle')}"><summary>x</summary></details>` },
  { name: 'input-autofocus', content: `<input autofocus onfocus="${hit('input-autofocus')}">` },
  { name: 'body-onload', content: `<body onload="${hit('body-onload')}">` },
  { name: 'meta-refresh', content: `<meta http-equiv="refresh" content="0;url=javascript:${hit('meta-refresh')}">` },
  { name: 'base-href', content: `<base href="javascript:${hit('base-href')}//">` },
  { name: 'video-source', content: `<video><source onerror="${hit('video-source')}"></video>` },
  { name: 'template-script', content: `<template><script>${hit('template-script')}</script></template>` },
  { name: 'broken-nested-script', content: `<<script>script>${hit('broken-nested-script')}<</script>/script>` },
  { name: 'broken-attr-newline', content: `<img src="x\nonerror=${hit('broken-attr-newline')}>` },
  { name: 'unclosed-tag', content: `<img src=x onerror=${hit('unclosed-tag')} ` },
  { name: 'comment-break', content: `<!--><img src=x onerror=${hit('comment-break')}>-->` },
  { name: 'entity-encoded-tag', content: `&lt;img src=x onerror=${hit('entity-encoded-tag')}&gt;` },
  { name: 'code-span-html', content: `\`<img src=x onerror=${hit('code-span-html')}>\`` },
  { name: 'fenced-html', content: `\`\`\`html\n<script>${hit('fenced-html')}</script>\n\`\`\`` },
  { name: 'linkify-js', content: `see javascript:${hit('linkify-js')} now` },
  { name: 'html-in-table', content: `| a | b |\n|---|---|\n| <img src=x onerror=${hit('html-in-table')}> | [x](javascript:${hit('html-in-table')}) |` },
  { name: 'command-uri', content: `[run](command:workbench.action.terminal.new)` },
  { name: 'file-uri', content: `[open](file:///etc/passwd)` },
];

/** Code-fence info strings: the language becomes a class, the rest may name a file. */
export const LANGUAGE_PAYLOADS: Payload[] = [
  { name: 'lang-attr-break', content: `"><img src=x onerror=${hit('lang-attr-break')}>` },
  { name: 'lang-onload', content: `onload=${hit('lang-onload')}` },
  { name: 'lang-js-scheme', content: `javascript:${hit('lang-js-scheme')}` },
  { name: 'lang-class-break', content: `x" onmouseover="${hit('lang-class-break')}` },
  { name: 'lang-script', content: `<script>${hit('lang-script')}</script>` },
  { name: 'lang-entity', content: `&quot;&gt;&lt;svg onload=${hit('lang-entity')}&gt;` },
  { name: 'lang-file-break', content: `ts file="x.ts" onclick="${hit('lang-file-break')}"` },
];

/** Project titles (shown in the tab, the page title and the panel header). */
export const TITLE_PAYLOADS: Payload[] = [
  { name: 'title-close', content: `</title><script>${hit('title-close')}</script>` },
  { name: 'title-img', content: `"><img src=x onerror=${hit('title-img')}>` },
  { name: 'title-svg', content: `<svg onload=${hit('title-svg')}>` },
  { name: 'title-entity', content: `&lt;script&gt;${hit('title-entity')}&lt;/script&gt;` },
];

/** The corpus as assistant messages (rendered as markdown) with code-fence payloads, for the real VS Code check. */
export function assistantCorpus(): { id: string; content: string }[] {
  return [
    ...CONTENT_PAYLOADS.map((p) => ({ id: `xss-a-${p.name}`, content: `Payload ${p.name}:\n\n${p.content}` })),
    ...LANGUAGE_PAYLOADS.map((p) => ({ id: `xss-l-${p.name}`, content: `\`\`\`${p.content}\nconst x = 1;\n\`\`\`` })),
  ];
}

/** Every message of the corpus as assistant and as user messages, for one conversation. */
export function corpusMessages(): { id: string; role: 'user' | 'assistant'; content: string; sequence: number; status: 'synced' }[] {
  const out: { id: string; role: 'user' | 'assistant'; content: string; sequence: number; status: 'synced' }[] = [];
  let sequence = 0;
  for (const p of CONTENT_PAYLOADS) {
    out.push({ id: `a-${p.name}`, role: 'assistant', content: `Payload ${p.name}:\n\n${p.content}`, sequence: ++sequence, status: 'synced' });
    out.push({ id: `u-${p.name}`, role: 'user', content: p.content, sequence: ++sequence, status: 'synced' });
  }
  for (const p of LANGUAGE_PAYLOADS) {
    out.push({ id: `l-${p.name}`, role: 'assistant', content: `\`\`\`${p.content}\nconst x = 1;\n\`\`\``, sequence: ++sequence, status: 'synced' });
  }
  return out;
}
