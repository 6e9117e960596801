/**
 * The environment every child process starts from: Lifeboat's own, without the variables that
 * hold secrets. A child's environment is readable in /proc/<pid>/environ by its user, ends up in
 * core dumps and is handed on to whatever the child starts (pg_dump's parallel workers), so a
 * password must never be in it; tools get theirs from a 0600 file (see the engines' toolEnv.ts).
 */
const secretVariables = new Set(['PGPASSWORD', 'MYSQL_PWD']);

/** Windows looks variables up whatever their case; a copy of process.env does not. */
const caseOf = (name: string) => process.platform === 'win32' ? name.toUpperCase() : name;

/** Marks a variable as holding a secret (the CLI's passwordEnv): no child gets it. */
export function registerSecretVariable(name: string): void {
  secretVariables.add(caseOf(name));
}

/** `base` (default: this process's environment) without the variables that hold secrets. */
export function childEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) if (!secretVariables.has(caseOf(name))) env[name] = value;
  return env;
}
