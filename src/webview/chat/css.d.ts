// esbuild bundles imported stylesheets into dist/webview/<name>.css.
declare module '*.css';
