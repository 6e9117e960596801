import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { LifeboatError, explainIoError } from '../../core/errors';
import { LIFEBOAT_VERSION } from '../../core/version';
import { action } from '../context';

/**
 * lifeboat schedule print: the units that make the machine's own scheduler call `lifeboat run
 * --due` every minute, which then runs what each connection's schedules say is due (so one
 * timer serves every schedule, and changing a schedule needs no new unit). Commands are written
 * with absolute paths (cron's PATH is short) and the config file given explicitly.
 */
const KINDS = ['systemd', 'cron', 'kubernetes'] as const;

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('Print what runs the schedules on a server: a systemd service and timer, a crontab line, or a Kubernetes CronJob.');
  schedule.command('print')
    .description('Print (or with --out write) a systemd service + timer pair, a crontab line, or a Kubernetes CronJob manifest (concurrencyPolicy Forbid, the config file from a Secret) that call `lifeboat run --due` every minute.')
    .argument('<kind>', KINDS.join(', '))
    .option('--out <folder>', 'systemd: write lifeboat-run.service and lifeboat-run.timer into this folder (for /etc/systemd/system)')
    .option('--image <image>', 'kubernetes: the container image that holds lifeboat and the database tools', `lifeboat:${LIFEBOAT_VERSION}`)
    .option('--secret <name>', 'kubernetes: the Secret that holds config.json (and the files it names: passwords, keys, alerts)', 'lifeboat-config')
    .option('--namespace <name>', 'kubernetes: the namespace')
    .action(action(async (ctx, kind: string, flags: { out?: string; image: string; secret: string; namespace?: string }) => {
      if (!(KINDS as readonly string[]).includes(kind)) throw new LifeboatError('usage', `"${kind}" is not one of ${KINDS.join(', ')}.`);
      const config = ctx.config.file;
      if (!config && kind !== 'kubernetes') throw new LifeboatError('usage', 'The units need a config file, and none was found.', 'Give --config /etc/lifeboat/config.json (or write ./lifeboat.json).');
      const lifeboat = [process.execPath, path.resolve(process.argv[1])];
      const runDue = [...lifeboat, '--config', config ?? '/etc/lifeboat/config.json', 'run', '--due', '--quiet'];
      if (kind === 'cron') {
        const line = `* * * * * ${runDue.map(shellWord).join(' ')} >> /var/log/lifeboat-run.log 2>&1`;
        ctx.output.result({ ok: true, crontab: line }, ['# lifeboat: run the scheduled backups, verifications and drills that are due (crontab -e)', line]);
        return;
      }
      if (kind === 'systemd') {
        const files = systemdUnits(runDue);
        if (flags.out) {
          for (const [name, text] of Object.entries(files)) {
            try {
              fs.writeFileSync(path.join(flags.out, name), text);
            } catch (error) {
              throw explainIoError(error, `write ${path.join(flags.out, name)}`);
            }
          }
        }
        ctx.output.result({ ok: true, units: files }, flags.out
          ? [`Wrote ${Object.keys(files).map(n => path.join(flags.out!, n)).join(' and ')}. Then: systemctl daemon-reload && systemctl enable --now lifeboat-run.timer`]
          : Object.entries(files).flatMap(([name, text]) => [`# ${name}`, ...text.trimEnd().split('\n'), '']));
        return;
      }
      const manifest = kubernetesCronJob(flags.image, flags.secret, flags.namespace);
      ctx.output.document({ ok: true, manifest }, manifest);
    }));
}

function systemdUnits(command: string[]): Record<string, string> {
  return {
    'lifeboat-run.service': [
      '[Unit]',
      'Description=Lifeboat: run the scheduled backups, verifications and drills that are due',
      'Wants=network-online.target',
      'After=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${command.map(systemdWord).join(' ')}`,
      'Nice=10',
      'IOSchedulingClass=best-effort',
      'IOSchedulingPriority=7',
      'PrivateTmp=true',
      'NoNewPrivileges=true',
      '',
    ].join('\n'),
    'lifeboat-run.timer': [
      '[Unit]',
      'Description=Lifeboat: check for due scheduled work every minute',
      '',
      '[Timer]',
      'OnCalendar=*-*-* *:*:00',
      'AccuracySec=1s',
      'Unit=lifeboat-run.service',
      '',
      '[Install]',
      'WantedBy=timers.target',
      '',
    ].join('\n'),
  };
}

/** Strings as JSON, which YAML reads as its double-quoted strings. */
function kubernetesCronJob(image: string, secret: string, namespace: string | undefined): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    '# lifeboat: run the scheduled work that is due, every minute. The Secret holds config.json and the',
    '# files it names (mode 0400, as Lifeboat requires for secrets); the run log and the runner lock of a',
    '# bucket backup folder live on the lifeboat-state volume, so keep it (a PersistentVolumeClaim).',
    'apiVersion: batch/v1',
    'kind: CronJob',
    'metadata:',
    '  name: lifeboat-run',
    ...(namespace ? [`  namespace: ${q(namespace)}`] : []),
    'spec:',
    '  schedule: "* * * * *"',
    '  concurrencyPolicy: Forbid',
    '  startingDeadlineSeconds: 300',
    '  successfulJobsHistoryLimit: 1',
    '  failedJobsHistoryLimit: 3',
    '  jobTemplate:',
    '    spec:',
    '      backoffLimit: 0',
    '      template:',
    '        spec:',
    '          restartPolicy: Never',
    '          securityContext:',
    '            runAsNonRoot: true',
    '            runAsUser: 1000',
    '            fsGroup: 1000',
    '          containers:',
    '            - name: lifeboat',
    `              image: ${q(image)}`,
    '              args: ["--config", "/etc/lifeboat/config.json", "run", "--due", "--json"]',
    '              env:',
    '                - name: XDG_STATE_HOME',
    '                  value: "/var/lib/lifeboat"',
    '              volumeMounts:',
    '                - name: config',
    '                  mountPath: /etc/lifeboat',
    '                  readOnly: true',
    '                - name: lifeboat-state',
    '                  mountPath: /var/lib/lifeboat',
    '          volumes:',
    '            - name: config',
    '              secret:',
    `                secretName: ${q(secret)}`,
    '                defaultMode: 256  # 0400: YAML 1.1 and 1.2 read a leading 0 differently',
    '            - name: lifeboat-state',
    '              persistentVolumeClaim:',
    '                claimName: lifeboat-state',
    '',
  ].join('\n');
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** systemd's ExecStart quoting: double quotes, with \ and " escaped and % doubled. */
function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  return /^[A-Za-z0-9_./:=@-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
