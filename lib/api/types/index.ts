/** The typed objects of every kind Bosun serves, by API group (see lib/api/resources for their ResourceInfo). */
export * from './apps';
export * from './autoscaling';
export * from './batch';
export * from './coordination';
export * from './core';
export * from './policy';
export * from './rbac';
export * from './scheduling';
