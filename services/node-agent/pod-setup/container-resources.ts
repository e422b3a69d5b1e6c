/**
 * A container's cgroup settings from its resources, as the kubelet computes them: CPU shares from
 * requests.cpu (limits.cpu when no request), CFS quota over a 100 ms period from limits.cpu, the
 * memory limit in bytes.
 */
import type { Quantity } from '../../../lib/api/quantity';
import type { Container } from '../../../lib/api/types';
import type { LinuxContainerResources } from '../runtime/runtime';
import { optionalQuantity } from './field-ref';
import { ContainerConfigError } from './pod-setup';

export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262_144;
export const CPU_SHARES_PER_CPU = 1024;
export const MILLICPU_PER_CPU = 1000;
/** The CFS period every container gets, microseconds (100 ms). */
export const CPU_PERIOD_US = 100_000;
/** The smallest quota the kernel accepts, microseconds (1 ms). */
export const MIN_CPU_QUOTA_US = 1000;

/** The kubelet's milliCPUToShares: 0 → the minimum, else proportional, clamped to 2..262144. */
export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu <= 0) return MIN_CPU_SHARES;
  const shares = Math.floor((milliCpu * CPU_SHARES_PER_CPU) / MILLICPU_PER_CPU);
  return Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, shares));
}

/** The kubelet's milliCPUToQuota: 0 = no quota; never below the kernel's minimum. */
export function milliCpuToQuota(milliCpu: number, periodUs: number): number {
  if (milliCpu <= 0) return 0;
  return Math.max(MIN_CPU_QUOTA_US, Math.floor((milliCpu * periodUs) / MILLICPU_PER_CPU));
}

function quantityOf(container: Container, kind: 'limits' | 'requests', name: string): Quantity | undefined {
  try {
    return optionalQuantity(container.resources?.[kind]?.[name], `resources.${kind}.${name}`);
  } catch (err) {
    throw new ContainerConfigError((err as Error).message);
  }
}

/** The container's LinuxContainerResources (see the file comment). Throws ContainerConfigError on a malformed quantity. */
export function linuxResources(container: Container): LinuxContainerResources {
  const cpuLimit = quantityOf(container, 'limits', 'cpu');
  const cpuRequest = quantityOf(container, 'requests', 'cpu') ?? cpuLimit;
  const memoryLimit = quantityOf(container, 'limits', 'memory');
  const out: LinuxContainerResources = { cpuShares: milliCpuToShares(cpuRequest?.milliValue() ?? 0) };
  if (cpuLimit && !cpuLimit.isZero()) {
    out.cpuPeriod = CPU_PERIOD_US;
    out.cpuQuota = milliCpuToQuota(cpuLimit.milliValue(), CPU_PERIOD_US);
  }
  if (memoryLimit && !memoryLimit.isZero()) out.memoryLimitInBytes = memoryLimit.value();
  return out;
}
