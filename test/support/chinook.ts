import * as path from 'node:path';

/** The Chinook sample in the repository (PostgreSQL, MySQL and SQLite variants; see its README). */
export const CHINOOK_FOLDER = path.resolve(__dirname, '..', 'fixtures', 'chinook');

/** The SQLite variant. Copy it before use: tests compare restores against it byte for byte. */
export const CHINOOK_SQLITE = path.join(CHINOOK_FOLDER, 'Chinook_Sqlite.sqlite');
