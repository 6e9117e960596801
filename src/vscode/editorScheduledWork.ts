import type { Connection } from '../core/connection';
import type { JobContext } from '../core/job';
import type { Schedule } from '../core/policy';
import type { PerformedRun } from '../core/scheduledRunner';
import { performScheduledWork } from '../engines/scheduledWork';
import { accessFor } from './serverTarget';
import { readPolicies } from './policies';
import type { Services } from './services';
import { readSettings } from './settings';

/** A schedule's work run by the editor (its runner, or the schedule's task): the connection's
 *  password from SecretStorage, the schedule's destinations from lifeboat.destinations. */
export async function performInEditor(s: Services, schedule: Schedule, connection: Connection, ctx: JobContext): Promise<PerformedRun> {
  const settings = readSettings(s.globalStorage);
  const access = connection.engine === 'sqlite' ? {} : await accessFor(s, connection);
  const configured = s.destinations.settings();
  const copyTo = await Promise.all((schedule.destinations ?? []).map(async name => {
    const found = configured.find(d => d.name === name);
    if (!found) throw new Error(`The schedule "${schedule.name}" names a destination "${name}" that is not in lifeboat.destinations.`);
    return (await s.destinations.open(found)).destination;
  }));
  return performScheduledWork(schedule, connection, ctx, {
    settings, access, copyTo, ...(connection.engine !== 'sqlite' ? { server: { connection, access } } : {}),
    ...(settings.restoreJobs ? { restoreJobs: settings.restoreJobs } : {}), ...(settings.postgresBinDir ? { postgresBinDir: settings.postgresBinDir } : {}),
    ...(schedule.run === 'prune' ? {
      policy: readPolicies(s.logger).policyOf(connection.id),
      places: await s.catalog.places(),
    } : {}),
    ...(schedule.run === 'archive-check' ? { policy: readPolicies(s.logger).policyOf(connection.id) } : {}),
  });
}
