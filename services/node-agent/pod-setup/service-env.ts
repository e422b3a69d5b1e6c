/**
 * The Service environment variables the kubelet gives every container (docker-link style):
 * `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>`, `<NAME>_PORT`
 * and `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`, for the Services of the pod's namespace
 * (when enableServiceLinks is not false) and always for `kubernetes` in `default`.
 * Services without a cluster IP (headless, ExternalName) contribute nothing.
 */
import type { Service } from '../../../lib/api/types';

/** The master Service every pod sees, whatever enableServiceLinks says. */
export const MASTER_SERVICE = { namespace: 'default', name: 'kubernetes' } as const;

/** `my-svc` → `MY_SVC`. */
export function envVariableName(serviceName: string): string {
  return serviceName.toUpperCase().replace(/-/g, '_');
}

function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** The variables of one Service, in Kubernetes' order. */
export function serviceEnvVars(service: Service): [string, string][] {
  const ports = service.spec?.ports ?? [];
  if (!hasClusterIP(service) || ports.length === 0) return [];
  const ip = service.spec!.clusterIP!;
  const prefix = envVariableName(service.metadata.name ?? '');
  const hostPort = (port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  const out: [string, string][] = [
    [`${prefix}_SERVICE_HOST`, ip],
    [`${prefix}_SERVICE_PORT`, String(ports[0]!.port ?? 0)],
  ];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envVariableName(p.name)}`, String(p.port ?? 0)]);
  ports.forEach((p, i) => {
    const protocol = p.protocol || 'TCP';
    const lower = protocol.toLowerCase();
    const url = `${lower}://${hostPort(p.port ?? 0)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]); // docker special-cases the first port
    const portPrefix = `${prefix}_PORT_${p.port ?? 0}_${protocol.toUpperCase()}`;
    out.push([portPrefix, url], [`${portPrefix}_PROTO`, lower], [`${portPrefix}_PORT`, String(p.port ?? 0)], [`${portPrefix}_ADDR`, ip]);
  });
  return out;
}

/**
 * The variables for a pod in `namespace`: its namespace's Services (sorted by name) when
 * `enableServiceLinks`, and the master Service `masterService` always (with links on, a Service
 * named `kubernetes` in the pod's own namespace takes its place, as in Kubernetes).
 */
export function podServiceEnv(namespace: string, enableServiceLinks: boolean, namespaceServices: Service[], masterService: Service | undefined): Map<string, string> {
  const byName = new Map<string, Service>();
  if (masterService && hasClusterIP(masterService)) byName.set(MASTER_SERVICE.name, masterService);
  if (enableServiceLinks) {
    for (const s of namespaceServices) {
      if (!hasClusterIP(s) || (s.metadata.namespace ?? namespace) !== namespace) continue;
      if (namespace === MASTER_SERVICE.namespace && s.metadata.name === MASTER_SERVICE.name) continue;
      byName.set(s.metadata.name ?? '', s);
    }
  }
  const env = new Map<string, string>();
  for (const name of [...byName.keys()].sort()) for (const [k, v] of serviceEnvVars(byName.get(name)!)) env.set(k, v);
  return env;
}
