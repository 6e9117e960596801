import type { Command } from 'commander';
import { sweepDeadWriters } from '../core/catalog';
import { LifeboatError, errorMessage } from '../core/errors';
import { jobContext, type JobContext } from '../core/job';
import { openDestination } from '../storage/openDestination';
import { loadConfig, readIdentities, type CliConfig } from './config';
import { useIdentities } from '../core/ageKeys';
import { EXIT, exitCodeFor } from './exitCodes';
import { Output, humanLines } from './output';

/** What every command's action gets: parsed config, output, and a job context whose signal
 *  fires on Ctrl-C / SIGTERM so the engine can stop and clean up. Before a command runs, what
 *  killed runs left behind is removed (sweepDeadWriters). */
export interface CommandContext {
  config: CliConfig;
  output: Output;
  job: JobContext;
}

interface GlobalOptions {
  config?: string;
  backupDir?: string;
  pgBinDir?: string;
  mysqlBinDir?: string;
  scratchDir?: string;
  identity?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** `sweep: false` for commands a server runs for each file (wal-push, wal-fetch): listing the whole
 *  backup folder each time would cost more than the file itself, and the next ordinary command sweeps. */
export function action<Args extends unknown[]>(run: (ctx: CommandContext, ...args: Args) => Promise<number | void>, options: { sweep?: boolean } = {}) {
  return async (...params: unknown[]): Promise<void> => {
    const command = params[params.length - 1] as Command;
    const globals = command.optsWithGlobals() as GlobalOptions;
    const output = new Output({ json: !!globals.json, quiet: !!globals.quiet, verbose: !!globals.verbose });
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      output.logger.warn(`${signal} received: stopping and removing partial files…`);
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let code: number;
    try {
      const config = loadConfig({ config: globals.config, backupDir: globals.backupDir, pgBinDir: globals.pgBinDir, mysqlBinDir: globals.mysqlBinDir, scratchDir: globals.scratchDir, identity: globals.identity });
      useIdentities(() => readIdentities(config));
      const destination = openDestination(config.backupFolder, config.destinations);
      const job = jobContext(destination, output.logger, { signal: controller.signal, onProgress: output.progress(), ...(config.scratchFolder ? { scratchFolder: config.scratchFolder } : {}) });
      if (options.sweep !== false) await sweepDeadWriters(job);
      code = (await run({ config, output, job }, ...(params.slice(0, -1) as Args))) ?? EXIT.ok;
    } catch (error) {
      code = error instanceof LifeboatError ? exitCodeFor(error.code) : EXIT.failed;
      if (output.json) {
        output.result({ ok: false, error: error instanceof LifeboatError ? { code: error.code, message: error.message, hint: error.hint } : { code: 'internal', message: errorMessage(error) } }, '');
      } else {
        output.stderrLine('error', error instanceof LifeboatError ? error.message : errorMessage(error));
        if (error instanceof LifeboatError && error.hint) output.stderrLine('hint', error.hint);
        if (!(error instanceof LifeboatError) && error instanceof Error && error.stack && globals.verbose) process.stderr.write(humanLines(error.stack.split('\n')));
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    process.exitCode = code;
  };
}
