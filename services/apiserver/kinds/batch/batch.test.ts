import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { batchStrategies, cronJobStrategy, cronScheduleError, jobStrategy, type CronJob, type Job } from './index';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

const UID = '8f1c2d3e-0000-4000-8000-000000000001';

/** A Job as the registry hands it to the strategy (uid already assigned). */
function job(spec: Record<string, unknown> = {}, templateSpec: Record<string, unknown> = { restartPolicy: 'Never' }): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: UID },
    spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34.0', command: ['perl', '-e', 'print 1'] }], ...templateSpec } }, ...spec },
  };
}

function cronJob(spec: Record<string, unknown> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', uid: UID },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox:1.28' }], restartPolicy: 'OnFailure' } } } },
      ...spec,
    },
  };
}

describe('batch/v1 strategies', () => {
  it('serve Job and CronJob (cj) in the "all" category with status subresources', () => {
    expect(batchStrategies.map((s) => [s.info.kind, s.info.resource, s.info.shortNames, s.info.categories, s.hasStatus])).to.deep.equal([
      ['Job', 'jobs', [], ['all'], true],
      ['CronJob', 'cronjobs', ['cj'], ['all'], true],
    ]);
  });

  describe('Job', () => {
    it('defaults a minimal Job the way a real cluster shows it, with a selector generated from its uid', () => {
      const j = job();
      jobStrategy.prepareForCreate(j);
      const labels = {
        'batch.kubernetes.io/controller-uid': UID,
        'batch.kubernetes.io/job-name': 'pi',
        'controller-uid': UID,
        'job-name': 'pi',
      };
      const { template, ...rest } = j.spec!;
      expect(rest).to.deep.equal({
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        completions: 1,
        manualSelector: false,
        parallelism: 1,
        podReplacementPolicy: 'TerminatingOrFailed',
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } },
        suspend: false,
      });
      expect(template!.metadata).to.deep.equal({ labels });
      expect(template!.spec).to.deep.include({ restartPolicy: 'Never', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' });
      expect(j.metadata.labels).to.deep.equal(labels);
      expect(jobStrategy.validate(j)).to.deep.equal([]);
    });

    it('defaults only parallelism when completions is set', () => {
      const j = job({ completions: 5 });
      jobStrategy.prepareForCreate(j);
      expect(j.spec).to.deep.include({ completions: 5, parallelism: 1 });
    });

    it('keeps a manual selector and the user labels', () => {
      const j = job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } } });
      j.spec!.template!.metadata = { labels: { app: 'pi' } };
      jobStrategy.prepareForCreate(j);
      expect(j.spec!.selector).to.deep.equal({ matchLabels: { app: 'pi' } });
      expect(j.spec!.template!.metadata!.labels).to.deep.equal({ app: 'pi' });
      expect(jobStrategy.validate(j)).to.deep.equal([]);
    });

    const table: { name: string; make: () => Job; want: string[] }[] = [
      {
        name: 'restartPolicy left to its Always default',
        make: () => job({}, {}),
        want: ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
      },
      {
        name: 'an unknown restartPolicy',
        make: () => job({}, { restartPolicy: 'Sometimes' }),
        want: [
          'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
          'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
        ],
      },
      { name: 'negative parallelism', make: () => job({ parallelism: -1 }), want: ['spec.parallelism: Invalid value: -1: must be greater than or equal to 0'] },
      { name: 'negative backoffLimit', make: () => job({ backoffLimit: -3 }), want: ['spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0'] },
      {
        name: 'an unknown completionMode',
        make: () => job({ completionMode: 'Sorted' }),
        want: ['spec.completionMode: Unsupported value: "Sorted": supported values: "NonIndexed", "Indexed"'],
      },
      {
        name: 'Indexed without completions',
        make: () => job({ completionMode: 'Indexed', parallelism: 2 }),
        want: ['spec.completions: Required value: when completion mode is Indexed'],
      },
      {
        name: 'a manual selector missing',
        make: () => job({ manualSelector: true }),
        want: ['spec.selector: Required value'],
      },
      {
        name: 'a manual selector not matching the template',
        make: () => job({ manualSelector: true, selector: { matchLabels: { app: 'x' } } }),
        want: ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`'],
      },
      {
        name: 'no containers',
        make: () => {
          const j = job();
          j.spec!.template!.spec!.containers = [];
          return j;
        },
        want: ['spec.template.spec.containers: Required value'],
      },
    ];
    for (const { name, make, want } of table) {
      it(`rejects ${name}`, () => {
        const j = make();
        jobStrategy.prepareForCreate(j);
        expect(lines(jobStrategy.validate(j))).to.deep.equal(want);
      });
    }

    it('makes the template, selector and completions immutable, but not parallelism or suspend', () => {
      const old = job();
      jobStrategy.prepareForCreate(old);
      const ok = clone(old);
      ok.spec!.parallelism = 4;
      ok.spec!.suspend = true;
      jobStrategy.prepareForUpdate(ok, old);
      expect(jobStrategy.validateUpdate(ok, old)).to.deep.equal([]);

      const bad = clone(old);
      bad.spec!.template!.spec!.containers![0].image = 'perl:5.36';
      bad.spec!.completions = 3;
      jobStrategy.prepareForUpdate(bad, old);
      const errs = lines(jobStrategy.validateUpdate(bad, old));
      expect(errs).to.have.length(2);
      expect(errs[0]).to.match(/^spec\.template: Invalid value: \{.*"image":"perl:5\.36".*\}: field is immutable$/);
      expect(errs[1]).to.equal('spec.completions: Invalid value: 3: field is immutable');
    });
    it('lets a suspended Job that never started change its scheduling directives, not its containers', () => {
      const old = job({ suspend: true });
      jobStrategy.prepareForCreate(old);
      const moved = clone(old);
      moved.spec!.template!.spec!.nodeSelector = { zone: 'a' };
      moved.spec!.template!.metadata!.annotations = { note: 'x' };
      jobStrategy.prepareForUpdate(moved, old);
      expect(jobStrategy.validateUpdate(moved, old)).to.deep.equal([]);
      const started = { ...old, status: { startTime: '2024-05-01T12:00:00Z' } };
      expect(lines(jobStrategy.validateUpdate(moved, started))[0]).to.match(/^spec\.template: Invalid value: .*: field is immutable$/);
      const image = clone(old);
      image.spec!.template!.spec!.containers![0].image = 'perl:5.36';
      expect(lines(jobStrategy.validateUpdate(image, old))[0]).to.match(/^spec\.template: Invalid value: .*: field is immutable$/);
    });
  });

  describe('CronJob', () => {
    it('defaults a minimal CronJob the way a real cluster shows it', () => {
      const c = cronJob();
      cronJobStrategy.prepareForCreate(c);
      const { jobTemplate, ...rest } = c.spec!;
      expect(rest).to.deep.equal({ schedule: '* * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
      // The job template gets only the pod defaults, no JobSpec defaults and no selector.
      expect(Object.keys(jobTemplate!.spec!)).to.deep.equal(['template']);
      expect(jobTemplate!.spec!.template!.spec).to.deep.include({ restartPolicy: 'OnFailure', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
      expect(c.status).to.deep.equal({});
      expect(cronJobStrategy.validate(c)).to.deep.equal([]);
    });

    const table: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
      { name: 'a missing schedule', spec: { schedule: '' }, want: ['spec.schedule: Required value'] },
      { name: 'four fields', spec: { schedule: '* * * *' }, want: ['spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]'] },
      { name: 'minute 60', spec: { schedule: '60 * * * *' }, want: ['spec.schedule: Invalid value: "60 * * * *": end of range (60) above maximum (59): 60'] },
      { name: 'a word', spec: { schedule: 'x * * * *' }, want: ['spec.schedule: Invalid value: "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'] },
      {
        name: 'TZ in the schedule',
        spec: { schedule: 'TZ=UTC 0 * * * *' },
        want: ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
      },
      { name: 'an unknown time zone', spec: { timeZone: 'Mars/Olympus' }, want: ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'] },
      {
        name: 'an unknown concurrencyPolicy',
        spec: { concurrencyPolicy: 'Sometimes' },
        want: ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'],
      },
      { name: 'a negative history limit', spec: { failedJobsHistoryLimit: -1 }, want: ['spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0'] },
      {
        name: 'a job template selector',
        spec: {
          jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'a', image: 'b' }], restartPolicy: 'Never' } } } },
        },
        want: ['spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated'],
      },
      {
        name: 'a job template that may restart Always',
        spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'b' }] } } } } },
        want: ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
      },
    ];
    for (const { name, spec, want } of table) {
      it(`rejects ${name}`, () => {
        const c = cronJob(spec);
        cronJobStrategy.prepareForCreate(c);
        expect(lines(cronJobStrategy.validate(c))).to.deep.equal(want);
      });
    }

    it('limits the name to 52 characters', () => {
      const c = cronJob();
      c.metadata.name = 'a'.repeat(53);
      cronJobStrategy.prepareForCreate(c);
      expect(lines(cronJobStrategy.validate(c))).to.deep.equal([`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]);
    });
  });

  describe('cron schedules', () => {
    for (const ok of ['*/5 * * * *', '0 0 1,15 * MON-FRI', '30 2 * jan,jul sun', '0 0 ? * *', '5-10/2 0-23 1-31 1-12 0-6', '@hourly', '@every 1h30m', 'CRON_TZ=UTC 0 * * * *']) {
      it(`accepts ${ok}`, () => expect(cronScheduleError(ok)).to.equal(undefined));
    }
    const bad: [string, string][] = [
      ['* * * * * *', 'expected exactly 5 fields, found 6: [* * * * * *]'],
      ['0 24 * * *', 'end of range (24) above maximum (23): 24'],
      ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
      ['0 0 * * 7', 'end of range (7) above maximum (6): 7'],
      ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
      ['*/0 * * * *', 'step of range should be a positive number: */0'],
      ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
      ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ];
    for (const [schedule, message] of bad) {
      it(`rejects ${schedule}`, () => expect(cronScheduleError(schedule)).to.equal(message));
    }
  });
});
