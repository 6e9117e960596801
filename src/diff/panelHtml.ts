import { escapeAttribute, escapeText } from '../core/htmlText';

/**
 * The diff page's HTML, shared by the editor's panel (src/vscode/diff) and the browser test that
 * serves the same page in Chromium: so the page tested is the page shipped.
 *
 * Strict Content-Security-Policy: nothing loads but the bundled script (by nonce) and stylesheet
 * from the extension's own origin; no inline script or style attribute runs, no network, no eval.
 */
export interface PanelPage {
  /** URIs the webview may load (vscode-webview-resource: in the editor, http://127.0.0.1 in the test). */
  scriptUri: string;
  styleUri: string;
  /** The origin allowed for script/style/font (webview.cspSource). */
  cspSource: string;
  /** A fresh random value per page load. */
  nonce: string;
  title: string;
}

export function diffPanelHtml(page: PanelPage): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${page.nonce}'`,
    `style-src ${page.cspSource}`,
    `font-src ${page.cspSource}`,
    `img-src ${page.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(page.styleUri)}">
<title>${escapeText(page.title)}</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script nonce="${escapeAttribute(page.nonce)}" src="${escapeAttribute(page.scriptUri)}"></script>
</body>
</html>
`;
}

/** 32 random bytes, base64: a nonce no page can guess. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
}
