/**
 * Builds real Kubernetes protobuf bodies with the same schemas the decoder
 * loads: the object's message, wrapped in runtime.Unknown behind "k8s\0".
 * Message fields are given by proto field name, as on the wire.
 */
import { messageType, protoFileFor, runtimeUnknownType } from '../../../src/server/protobuf/proto-registry.js';

export const magic = Buffer.from('k8s\0', 'latin1');

export function encodeObject(apiVersion: string, kind: string, fields: Record<string, unknown>): Buffer {
  const file = protoFileFor(apiVersion);
  const type = file && messageType(file, kind);
  if (!type) throw new Error(`no proto message for ${apiVersion} ${kind}`);
  return envelope({ typeMeta: { apiVersion, kind }, raw: type.encode(type.fromObject(fields)).finish() });
}

export function envelope(unknown: Record<string, unknown>): Buffer {
  const type = runtimeUnknownType();
  return Buffer.concat([magic, type.encode(type.fromObject(unknown)).finish()]);
}
