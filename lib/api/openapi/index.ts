/**
 * OpenAPI v2 and v3 documents of the served resources, generated from the protobuf field table,
 * the patch metadata and upstream field documentation (for `kubectl explain`, `create`/`apply`).
 */
export { buildDefinitions, definitionName, isInlineField } from './definitions';
export type { GroupVersionKind, JsonSchema, OpenApiDialect } from './definitions';
export { DEFAULT_OPENAPI_INFO_VERSION, groupVersionPaths, openApiV2, openApiV3Group } from './documents';
export type { OpenApiOptions } from './documents';
export {
  contentHash, OPENAPI_CACHE_ENTRIES, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_REQUESTED, OpenApiDocuments, openApiDocuments,
  openApiResponse, openApiV3Index,
} from './openapi-documents';
export { encodeOpenApiV2 } from './openapi-v2-protobuf';
export type { OpenApiResponse, OpenApiV3Index } from './openapi-documents';
export { groupVersionPath } from './paths';
export type { OpenApiResource } from './paths';
