/** Apiserver bootstrap: system namespaces, the kubernetes Service and its Endpoints. */
export * from './system-namespaces';
export * from './kubernetes-service';
