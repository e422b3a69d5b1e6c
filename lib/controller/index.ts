/** The shared controller machinery; see README.md in this folder for how to add a controller. */
export * from './controller-context';
export * from './controller-ref';
export * from './controller-ref-manager';
export * from './controller-registry';
export * from './controller-runner';
export * from './expectations';
export * from './informer-factory';
export * from './queue-controller';
