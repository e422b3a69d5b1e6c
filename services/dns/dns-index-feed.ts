/**
 * Feeds a {@link DnsIndex} from the process' shared informers on Services and EndpointSlices
 * (the DNS's only view of the cluster). Start the factory yourself.
 */
import { RESOURCES } from '../../lib/api/resources';
import type { Service } from '../../lib/api/types/core';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import type { SharedInformerFactory } from '../../lib/controller/informer-factory';
import { DnsIndex } from './dns-index';

/** Registers the index's handlers on `informers` and returns the index. */
export function feedDnsIndex(informers: SharedInformerFactory, index = new DnsIndex()): DnsIndex {
  informers.informer<Service>(RESOURCES.services).addEventHandler({
    onAdd: (svc) => index.setService(svc),
    onUpdate: (_old, svc) => index.setService(svc),
    onDelete: (svc) => index.deleteService(svc.metadata.namespace ?? 'default', svc.metadata.name ?? ''),
  });
  informers.informer<EndpointSlice>(RESOURCES.endpointslices).addEventHandler({
    onAdd: (slice) => index.setSlice(slice),
    onUpdate: (_old, slice) => index.setSlice(slice),
    onDelete: (slice) => index.deleteSlice(slice),
  });
  return index;
}
