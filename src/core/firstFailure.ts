import type { Stream } from 'node:stream';

/**
 * Which stage of a pipeline failed first. When one stage fails, pipeline() destroys every other
 * stage with the same error, so each of them emits it too (a decoder torn down because the disk
 * under the sink filled up reports ENOSPC as its own error); only the order tells the stage that
 * failed from those that were stopped because of it. A stage's own emit comes first: the others
 * are destroyed from inside it and emit on a later tick.
 */
export interface FirstFailure {
  stage: Stream;
  error: Error;
}

export function watchFirstFailure(stages: Stream[]): () => FirstFailure | undefined {
  let first: FirstFailure | undefined;
  for (const stage of stages) {
    stage.on('error', (error: Error) => { first ??= { stage, error }; });
  }
  return () => first;
}
