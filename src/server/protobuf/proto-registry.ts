/**
 * The Kubernetes protobuf schemas (the generated.proto files of k8s.io/api,
 * apimachinery, apiextensions-apiserver and kube-aggregator), parsed lazily:
 * a request for apps/v1 parses the apps/v1 file and what it imports, nothing
 * else, because parsing every file costs far more than one decode.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const protoDir = fileURLToPath(new URL('../../../schemas/kubernetes/proto/', import.meta.url));

/** One generated.proto: its protobuf package and its path relative to protoDir (its Go import path). */
export interface ProtoFile {
  protoPackage: string;
  importPath: string;
}

let filesByGroupVersion: Map<string, ProtoFile> | undefined;
let root: protobuf.Root | undefined;

/**
 * The proto file for an API group version. Packages are named after the Go
 * package (k8s.io.api.rbac.v1, k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1),
 * whose last two segments are the group's first DNS label and the version;
 * the legacy group "" lives in package core.
 */
export function protoFileFor(apiVersion: string): ProtoFile | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const label = group === '' ? 'core' : group.split('.')[0];
  return indexProtoFiles().get(`${label}.${version}`);
}

/** The message type of a kind, parsing its file on first use. */
export function messageType(file: ProtoFile, kind: string): protobuf.Type | undefined {
  const loaded = loadedRoot();
  loaded.loadSync(`${file.importPath}/generated.proto`, { keepCase: true });
  const found = loaded.lookup(`${file.protoPackage}.${kind}`);
  return found instanceof protobuf.Type ? found : undefined;
}

/** runtime.Unknown, the envelope of every Kubernetes protobuf body. */
export function runtimeUnknownType(): protobuf.Type {
  const loaded = loadedRoot();
  loaded.loadSync('k8s.io/apimachinery/pkg/runtime/generated.proto', { keepCase: true });
  return loaded.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
}

function loadedRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    // Imports name Go import paths ("k8s.io/api/core/v1/generated.proto"), which are our directory layout.
    root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(protoDir, target));
  }
  return root;
}

function indexProtoFiles(): Map<string, ProtoFile> {
  if (filesByGroupVersion) return filesByGroupVersion;
  filesByGroupVersion = new Map();
  for (const path of generatedProtoPaths(protoDir)) {
    // The package statement alone names the file's group version; no need to parse the file yet.
    const protoPackage = /^package\s+([\w.]+);/m.exec(readFileSync(path, 'utf8'))?.[1];
    if (!protoPackage) continue;
    const groupVersion = protoPackage.split('.').slice(-2).join('.');
    filesByGroupVersion.set(groupVersion, { protoPackage, importPath: relative(protoDir, path).replace(/\/generated\.proto$/, '') });
  }
  return filesByGroupVersion;
}

function generatedProtoPaths(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return generatedProtoPaths(path);
    return entry.name === 'generated.proto' ? [path] : [];
  });
}
