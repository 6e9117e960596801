import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseCodec } from '../core/codec';
import type { Codec } from '../core/manifest';

/** lifeboat.* settings, read fresh each time so changes apply without a reload. */
export interface LifeboatSettings {
  backupFolder: string;
  /** True when backupFolder is the default in the extension's global storage. */
  backupFolderIsDefault: boolean;
  compression: Codec;
  compressionLevel: number;
  postgresBinDir?: string;
  /** 0: automatic. */
  restoreJobs: number;
}

export function readSettings(globalStorage: vscode.Uri): LifeboatSettings {
  const config = vscode.workspace.getConfiguration('lifeboat');
  const configured = (config.get<string>('backupFolder') ?? '').trim();
  const expanded = configured.replace(/^~(?=$|[\\/])/, process.env.HOME ?? '~');
  return {
    backupFolder: configured ? path.resolve(expanded) : path.join(globalStorage.fsPath, 'backups'),
    backupFolderIsDefault: !configured,
    compression: safeCodec(config.get<string>('compression') ?? 'gzip'),
    compressionLevel: config.get<number>('compressionLevel') ?? 6,
    ...(config.get<string>('postgres.binDir')?.trim() ? { postgresBinDir: config.get<string>('postgres.binDir')!.trim() } : {}),
    restoreJobs: config.get<number>('postgres.restoreJobs') ?? 0,
  };
}

function safeCodec(value: string): Codec {
  try {
    return parseCodec(value);
  } catch {
    return 'gzip';
  }
}
