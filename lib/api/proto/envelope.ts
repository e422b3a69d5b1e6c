/**
 * The Kubernetes protobuf wire envelope (content type application/vnd.kubernetes.protobuf):
 * the 4 bytes "k8s\0", then a runtime.Unknown whose typeMeta names the apiVersion and kind and
 * whose raw holds the object's message. kubectl's `create` subcommands send bodies like this.
 */
import { BadRequestError } from '../errors';
import { Unknown } from '../../../gen/k8s/apimachinery/runtime/runtime';
import { decodeUnknown, encodeObject, hasMagic, JsonObject, K8S_PROTOBUF_MAGIC, ToProtoOptions } from './convert';

/** A decoded envelope: the object's identity and its Kubernetes JSON (with apiVersion and kind). */
export interface DecodedKubernetesObject {
  apiVersion: string;
  kind: string;
  object: JsonObject;
}

/**
 * Decodes a Kubernetes protobuf body. Anything malformed — no magic, a bad envelope, an unknown
 * apiVersion/kind, bad message bytes — throws BadRequestError with a message saying which.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedKubernetesObject {
  if (!hasMagic(body)) throw new BadRequestError('protobuf body does not start with the Kubernetes magic "k8s\\0"');
  return decodeUnknown(body.subarray(K8S_PROTOBUF_MAGIC.length));
}

/** Encodes a Kubernetes JSON object (its apiVersion/kind choose the message) as a protobuf body. */
export function encodeKubernetesProtobuf(json: JsonObject, opts: ToProtoOptions = {}): Buffer {
  const { kind, bytes } = encodeObject(json, opts);
  const unknown = Unknown.encode({
    typeMeta: { apiVersion: kind.apiVersion, kind: kind.kind },
    raw: Buffer.from(bytes),
    contentEncoding: '',
    contentType: '',
  }).finish();
  return Buffer.concat([K8S_PROTOBUF_MAGIC, unknown]);
}
