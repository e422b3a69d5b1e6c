import { expect } from 'chai';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

const NS = 'jobs-e2e';
/** How long a simulated pod runs before it exits, ms. */
const RUN_MS = 300;

const INDEXED_JOB = `
apiVersion: batch/v1
kind: Job
metadata: { name: indexed, namespace: ${NS} }
spec:
  completions: 3
  parallelism: 2
  completionMode: Indexed
  template:
    metadata:
      annotations: { bosun.dev/simulated-exit-code: "0", bosun.dev/simulated-run-ms: "${RUN_MS}" }
    spec:
      restartPolicy: Never
      containers: [{ name: work, image: busybox }]
`;

const FAILING_JOB = `
apiVersion: batch/v1
kind: Job
metadata: { name: failing, namespace: ${NS} }
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 2
  template:
    metadata:
      annotations: { bosun.dev/simulated-exit-code: "3", bosun.dev/simulated-run-ms: "${RUN_MS}" }
    spec:
      restartPolicy: Never
      containers: [{ name: work, image: busybox }]
`;

const CRONJOB = `
apiVersion: batch/v1
kind: CronJob
metadata: { name: tick, namespace: ${NS} }
spec:
  schedule: "@every 20s"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: { bosun.dev/simulated-exit-code: "0", bosun.dev/simulated-run-ms: "${RUN_MS}" }
        spec:
          restartPolicy: Never
          containers: [{ name: work, image: busybox }]
`;

/**
 * The Job, CronJob and TTL-after-finished controllers through real processes (store,
 * apiserver, scheduler, controller-manager) and the real kubectl; pods run and exit on
 * simulated nodes. The CronJob's scheduled run (its name, annotation and completion) is walked
 * by e2e/journeys on `bosun up`; here the CronJob is the template of `create job --from`.
 * Minute-based schedules, time zones and missed runs are covered with a fake clock in the unit
 * tests.
 */
describe('Jobs and CronJobs through real processes and kubectl', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const jsonpath = (what: string, path: string) => kubectl(['get', '-n', NS, what, '-o', `jsonpath=${path}`]);

  before(async () => {
    cluster = await ControlPlaneCluster.shared();
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['apply', '-f', '-'], CRONJOB);
  });
  after(async () => {
    await cluster?.release();
  });

  it('an Indexed Job of 3 completions runs to Complete (kubectl wait), its indexes recorded as ranges', async () => {
    await kubectl(['apply', '-f', '-'], INDEXED_JOB);
    const selector = await jsonpath('job/indexed', '{.spec.selector.matchLabels}');
    expect(selector).to.include('batch.kubernetes.io/controller-uid');
    await kubectl(['wait', '-n', NS, '--for=condition=complete', 'job/indexed', '--timeout=45s']);
    expect(await jsonpath('job/indexed', '{.status.succeeded} {.status.completedIndexes} {.status.failed}')).to.equal('3 0-2 ');
    const pods = await kubectl(['get', 'pods', '-n', NS, '-l', 'batch.kubernetes.io/job-name=indexed', '-o',
      'jsonpath={range .items[*]}{.metadata.annotations.batch\\.kubernetes\\.io/job-completion-index}:{.spec.hostname}:{.status.phase}:{.metadata.finalizers}{"\\n"}{end}']);
    const lines = pods.trim().split('\n').sort();
    expect(lines).to.deep.equal(['0:indexed-0:Succeeded:', '1:indexed-1:Succeeded:', '2:indexed-2:Succeeded:']);
  });

  it('a failing Job ends Failed with BackoffLimitExceeded, then ttl-after-finished deletes it', async () => {
    await kubectl(['apply', '-f', '-'], FAILING_JOB);
    await kubectl(['wait', '-n', NS, '--for=condition=failed', 'job/failing', '--timeout=45s']);
    expect(await jsonpath('job/failing', '{.status.failed} {.status.conditions[?(@.type=="Failed")].reason}')).to.equal('1 BackoffLimitExceeded');
    const events = await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=failing', '-o', 'jsonpath={.items[*].reason}']);
    expect(events).to.include('BackoffLimitExceeded');
    await kubectl(['wait', '-n', NS, '--for=delete', 'job/failing', '--timeout=30s']);
  });

  it('kubectl create job --from=cronjob makes a Job the Job controller runs to Complete', async () => {
    await kubectl(['create', 'job', 'manual', '-n', NS, '--from=cronjob/tick']);
    expect(await jsonpath('job/manual', '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}')).to.equal('CronJob/tick manual');
    await kubectl(['wait', '-n', NS, '--for=condition=complete', 'job/manual', '--timeout=45s']);
  });
});
