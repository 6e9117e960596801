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
