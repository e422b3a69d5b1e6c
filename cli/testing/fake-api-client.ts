/** The in-memory ApiClient lives in lib/client/testing (shared with the controllers' tests); this path stays for old imports. */
export * from '../../lib/client/testing/fake-api-client';
