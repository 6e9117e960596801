/** What Test Connection reports: which server (or library) answered, in one line. */
export interface ProbeResult {
  product: string;
  version: string;
  summary: string;
}
