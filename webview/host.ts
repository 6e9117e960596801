/**
 * The page's only line to the extension: typed both ways by src/diff/protocol.ts, so the page can
 * post nothing but a WebviewMessage and hears nothing but a HostMessage.
 */
import type { HostMessage, WebviewMessage } from '../src/diff/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** Provided by the editor to a webview page (and by the browser test's shim); callable once. */
declare function acquireVsCodeApi(): VsCodeApi;

export interface Host {
  post(message: WebviewMessage): void;
  onMessage(handler: (message: HostMessage) => void): void;
  /** What the page kept for itself: the editor holds it while the page is hidden and rebuilt. */
  savedState(): unknown;
  saveState(state: unknown): void;
}

const HOST_TYPES = new Set<HostMessage['type']>([
  'comparing', 'progress', 'summary', 'rows', 'preview', 'applying', 'applied', 'conflict', 'failed', 'cancelled',
]);

export function isHostMessage(value: unknown): value is HostMessage {
  if (!value || typeof value !== 'object') return false;
  return HOST_TYPES.has((value as { type?: unknown }).type as HostMessage['type']);
}

export function connectHost(): Host {
  const api = acquireVsCodeApi();
  return {
    post: message => api.postMessage(message),
    savedState: () => api.getState(),
    saveState: state => api.setState(state),
    onMessage: handler => {
      // Other frames and extensions' injected scripts may post too: only messages of our shape count.
      window.addEventListener('message', event => {
        if (isHostMessage(event.data)) handler(event.data);
      });
    },
  };
}
