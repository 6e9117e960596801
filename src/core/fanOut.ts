import { PassThrough, Writable } from 'node:stream';

/**
 * One stream written to several readers at once (a backup's copies in several destinations):
 * each chunk goes to every branch that is still open, and the next chunk is taken only when every
 * one of them has room (the slowest destination sets the pace, memory stays bounded). A branch
 * whose reader failed is closed by it (destroyed) and simply left out from then on, so one
 * destination that fails halfway does not stop the others. When no branch is left, the stream
 * fails, which stops the producer.
 */
export class FanOut extends Writable {
  readonly branches: PassThrough[];

  constructor(count: number) {
    super({ highWaterMark: 1 });
    this.branches = Array.from({ length: count }, () => new PassThrough({ highWaterMark: 1024 * 1024 }));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const open = this.open();
    if (open.length === 0) return done(new Error('every destination of this stream has failed'));
    let waiting = 0;
    const settle = () => { if (--waiting === 0) done(); };
    for (const branch of open) {
      if (branch.write(chunk)) continue;
      waiting++;
      // A branch destroyed while full never drains: its close ends the wait as well.
      const resume = () => { branch.off('drain', resume); branch.off('close', resume); settle(); };
      branch.on('drain', resume);
      branch.on('close', resume);
    }
    if (waiting === 0) done();
  }

  override _final(done: (error?: Error | null) => void): void {
    for (const branch of this.open()) branch.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    // Without the error: a reader not attached yet (a destination still creating its folder)
    // has no error listener, and its reader sees the stream end early all the same.
    for (const branch of this.open()) branch.destroy();
    done(error);
  }

  private open(): PassThrough[] {
    return this.branches.filter(branch => !branch.destroyed && !branch.writableEnded);
  }
}
