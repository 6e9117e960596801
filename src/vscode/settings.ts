import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codecAvailable, defaultCodec, parseCodec } from '../core/codec';
import type { Codec } from '../core/manifest';

/** lifeboat.* settings, read fresh each time so changes apply without a reload. */
export interface LifeboatSettings {
  backupFolder: string;
  /** True when backupFolder is the default in the extension's global storage. */
  backupFolderIsDefault: boolean;
  compression: Codec;
  /** Unset: the codec's default level. */
  compressionLevel?: number;
  postgresBinDir?: string;
  mysqlBinDir?: string;
  /** 0: automatic; 1: one stream; more: that many directory-format jobs. */
  backupJobs: number;
  /** 0: automatic. */
  restoreJobs: number;
  /** Where jobs keep intermediate files; unset: beside the backups (core/job.ts). */
  scratchFolder?: string;
}

export function readSettings(globalStorage: vscode.Uri): LifeboatSettings {
  const config = vscode.workspace.getConfiguration('lifeboat');
  const configured = (config.get<string>('backupFolder') ?? '').trim();
  const expanded = expandHome(configured);
  return {
    backupFolder: configured ? path.resolve(expanded) : path.join(globalStorage.fsPath, 'backups'),
    backupFolderIsDefault: !configured,
    compression: safeCodec(config.get<string>('compression')),
    ...(typeof config.get('compressionLevel') === 'number' ? { compressionLevel: config.get<number>('compressionLevel') } : {}),
    backupJobs: config.get<number>('postgres.backupJobs') ?? 0,
    ...(config.get<string>('postgres.binDir')?.trim() ? { postgresBinDir: config.get<string>('postgres.binDir')!.trim() } : {}),
    restoreJobs: config.get<number>('postgres.restoreJobs') ?? 0,
    ...(config.get<string>('scratchFolder')?.trim() ? { scratchFolder: path.resolve(expandHome(config.get<string>('scratchFolder')!.trim())) } : {}),
    ...(config.get<string>('mysql.binDir')?.trim() ? { mysqlBinDir: config.get<string>('mysql.binDir')!.trim() } : {}),
  };
}

/** A path setting with a leading ~ as the user's home folder, as people write it. */
export function expandHome(text: string): string {
  return text.replace(/^~(?=$|[\\/])/, os.homedir());
}

/** The codec set, if this runtime has it; otherwise (or if unset or unknown) the default. */
function safeCodec(value: string | undefined): Codec {
  try {
    const codec = parseCodec(value ?? '');
    return codecAvailable(codec) ? codec : defaultCodec();
  } catch {
    return defaultCodec();
  }
}
