/** Service ClusterIP and NodePort allocation: the public surface. */
export * from './item-range';
export * from './range-allocator';
export * from './service-allocators';
export * from './service-rest';
export * from './repair';
