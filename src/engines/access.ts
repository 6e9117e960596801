/**
 * What a server engine needs besides the connection: its password (from SecretStorage, or the
 * CLI's passwordEnv / passwordFile) and where the user keeps the client tools, if not where
 * Lifeboat looks by itself.
 */
export interface ServerAccess {
  password?: string;
  /** `lifeboat.postgres.binDir` / --pg-bin-dir. */
  postgresBinDir?: string;
  /** `lifeboat.mysql.binDir` / --mysql-bin-dir. */
  mysqlBinDir?: string;
}

/** A password and the tool folders set (CLI config or editor settings), without empty keys. */
export function toolAccess(password: string | undefined, dirs: { postgresBinDir?: string; mysqlBinDir?: string }): ServerAccess {
  return {
    ...(password !== undefined ? { password } : {}),
    ...(dirs.postgresBinDir ? { postgresBinDir: dirs.postgresBinDir } : {}),
    ...(dirs.mysqlBinDir ? { mysqlBinDir: dirs.mysqlBinDir } : {}),
  };
}
