/** Apiserver bootstrap: system namespaces and PriorityClasses, the kubernetes Service and its Endpoints. */
export * from './ensure-objects';
export * from './system-namespaces';
export * from './system-priority-classes';
export * from './system-objects';
export * from './default-storage-class';
export * from './kubernetes-service';
