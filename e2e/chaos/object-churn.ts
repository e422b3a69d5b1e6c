/**
 * The objects that keep changing during a chaos run, all busybox on the nodes' runtime: a
 * Deployment behind a Service, rolled (a new template annotation) and scaled between 2 and 3
 * replicas in turns; a StatefulSet of 2 behind a headless Service; and a Job of 3 completions
 * (2 at a time) started every few turns. Writes that fail while the cluster is hurt are retried
 * at the next turn (a conflict re-reads the object); nothing here is checked, only driven.
 */
import { RESOURCES } from '../../lib/api/resources';
import type { Deployment, StatefulSet } from '../../lib/api/types/apps';
import type { Job } from '../../lib/api/types/batch';
import type { Service } from '../../lib/api/types/core';
import type { ApiClient } from '../../lib/client/api-client';

export const DEPLOYMENT = 'web';
export const STATEFULSET = 'db';
/** Completions of every chaos Job. */
export const JOB_COMPLETIONS = 3;
/** Pause between two turns of churn. */
const TURN_MS = 4_000;
/** A Job is started every this many turns. */
const TURNS_PER_JOB = 3;
/** The annotation a rolling update changes in the Deployment's pod template. */
const ROLL_ANNOTATION = 'chaos.bosun.dev/turn';
const IMAGE = 'busybox:latest';
const HTTPD = ['httpd', '-f', '-p', '8080', '-h', '/etc'];

/** What the churn did. */
export interface ChurnReport {
  readonly rolls: number;
  readonly scales: number;
  readonly jobs: string[];
  readonly failedWrites: number;
}

/** Creates the Services, Deployment and StatefulSet the churn then changes. */
export async function createChurnObjects(client: ApiClient, ns: string): Promise<void> {
  const labels = (app: string) => ({ app });
  const template = (app: string, command: string[]) => ({
    metadata: { labels: labels(app) },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: app, image: IMAGE, command, ports: [{ containerPort: 8080 }] }] },
  });
  const svc = (name: string, headless: boolean): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { selector: labels(name), ports: [{ port: 80, targetPort: 8080 }], ...(headless ? { clusterIP: 'None' } : {}) },
  });
  await client.resource<Service>(RESOURCES.services).create(ns, svc(DEPLOYMENT, false));
  await client.resource<Service>(RESOURCES.services).create(ns, svc(STATEFULSET, true));
  await client.resource<Deployment>(RESOURCES.deployments).create(ns, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DEPLOYMENT, namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: labels(DEPLOYMENT) }, template: template(DEPLOYMENT, HTTPD) },
  });
  await client.resource<StatefulSet>(RESOURCES.statefulsets).create(ns, {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: STATEFULSET, namespace: ns },
    spec: { replicas: 2, serviceName: STATEFULSET, selector: { matchLabels: labels(STATEFULSET) }, template: template(STATEFULSET, HTTPD) },
  });
}

/** Changes the objects every turn until `until()` is true. See the file comment. */
export async function runChurn(client: ApiClient, ns: string, until: () => boolean, log: (line: string) => void): Promise<ChurnReport> {
  const deployments = client.resource<Deployment>(RESOURCES.deployments);
  const jobs = client.resource<Job>(RESOURCES.jobs);
  let rolls = 0;
  let scales = 0;
  let failedWrites = 0;
  const jobNames: string[] = [];
  for (let turn = 0; !until(); turn++) {
    try {
      const d = await deployments.get(ns, DEPLOYMENT);
      const spec = d.spec!;
      if (turn % 2 === 0) {
        const template = spec.template!;
        template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [ROLL_ANNOTATION]: String(turn) } };
        rolls++;
      } else {
        spec.replicas = spec.replicas === 2 ? 3 : 2;
        scales++;
      }
      await deployments.update(ns, d);
    } catch (err) {
      failedWrites++;
      log(`churn: deployment write failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (turn % TURNS_PER_JOB === 0) {
      const name = `job-${turn}`;
      try {
        await jobs.create(ns, {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name, namespace: ns },
          spec: {
            completions: JOB_COMPLETIONS,
            parallelism: 2,
            backoffLimit: 100,
            template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'work', image: IMAGE, command: ['sh', '-c', 'sleep 1'] }] } },
          },
        });
        jobNames.push(name);
      } catch (err) {
        // An indeterminate create may still have made the Job: it is checked if it exists.
        jobNames.push(name);
        failedWrites++;
        log(`churn: job ${name} create failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await new Promise((r) => setTimeout(r, TURN_MS));
  }
  return { rolls, scales, jobs: jobNames, failedWrites };
}
