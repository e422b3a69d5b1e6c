/**
 * Feeds a {@link ServiceTable} from the process' shared informers on Services and
 * EndpointSlices, and tells the owner when the table changed (the owner rate-limits its syncs).
 * Used by the proxy and the ingress controller alike.
 */
import { RESOURCES } from '../api/resources';
import type { Service } from '../api/types/core';
import type { EndpointSlice } from '../api/types/discovery';
import type { SharedInformerFactory } from '../controller/informer-factory';
import { ServiceTable } from './service-table';

/**
 * Registers the table's handlers on `informers` (start the factory yourself) and returns the
 * table. `onChange` runs after every change that touched an entry (synchronously, in the
 * informer's delivery; keep it cheap — schedule a sync, don't run one).
 */
export function feedServiceTable(informers: SharedInformerFactory, onChange: () => void, table = new ServiceTable()): ServiceTable {
  const services = informers.informer<Service>(RESOURCES.services);
  const slices = informers.informer<EndpointSlice>(RESOURCES.endpointslices);
  const changed = (apply: () => void) => {
    apply();
    onChange();
  };
  services.addEventHandler({
    onAdd: (svc) => changed(() => table.setService(svc)),
    onUpdate: (_old, svc) => changed(() => table.setService(svc)),
    onDelete: (svc) => changed(() => table.deleteService(svc.metadata.namespace ?? 'default', svc.metadata.name ?? '')),
  });
  slices.addEventHandler({
    onAdd: (slice) => changed(() => table.setSlice(slice)),
    onUpdate: (_old, slice) => changed(() => table.setSlice(slice)),
    onDelete: (slice) => changed(() => table.deleteSlice(slice)),
  });
  return table;
}
