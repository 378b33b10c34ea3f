// Checking Kubernetes objects without a cluster, as strictly as the API server would:
// - types, required fields and enumerations: kubernetes-models, whose validators are generated from the Kubernetes
//   OpenAPI schema (one class per apiVersion/kind, `validate()` throws a ValidationError);
// - unknown fields, which that schema allows but `kubectl apply` (strict field validation, the default since
//   Kubernetes 1.27) rejects: a walk over the attribute type maps of @kubernetes/client-node's generated models,
//   which list every field of every object type with its type.
// Only the models are imported from @kubernetes/client-node: its API client needs Node 22.

import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

/** one object of a manifest, as parsed */
export type KubernetesObject = { [field: string]: unknown };

interface Attribute {
  baseName: string;
  type: string;
}
type ModelClass = { getAttributeTypeMap(): Attribute[] };

function modelClass(typeName: string): ModelClass | undefined {
  const c = (models as Record<string, unknown>)[typeName] as Partial<ModelClass> | undefined;
  return typeof c?.getAttributeTypeMap === 'function' ? (c as ModelClass) : undefined;
}

/** client-node's model name of an object: `V1DaemonSet` for apps/v1 DaemonSet, `V1ClusterRole` for rbac.../v1. */
function modelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop() ?? '';
  return `${version[0].toUpperCase()}${version.slice(1)}${kind}`;
}

const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

/** Fields of `doc` that its Kubernetes type does not have, and values of the wrong JSON type, as `path: problem`. */
export function strictFieldProblems(doc: KubernetesObject): string[] {
  const root = modelName(String(doc.apiVersion), String(doc.kind));
  if (!modelClass(root)) return [`${doc.apiVersion} ${doc.kind}: no such object type`];
  const problems: string[] = [];
  const stack: [unknown, string, string][] = [[doc, root, '']];
  while (stack.length > 0) {
    const [value, type, path] = stack.pop() as [unknown, string, string];
    const wrong = (expected: string) =>
      problems.push(`${path || '/'}: expected ${expected}, got ${JSON.stringify(value)}`);
    const array = ARRAY.exec(type);
    const map = MAP.exec(type);
    const model = modelClass(type);
    if (type === 'string' || type === 'Date') {
      if (typeof value !== 'string') wrong('a string');
    } else if (type === 'number' || type === 'boolean') {
      if (typeof value !== type) wrong(`a ${type}`);
    } else if (type === 'IntOrString') {
      if (typeof value !== 'string' && typeof value !== 'number') wrong('an integer or a string');
    } else if (array) {
      if (!Array.isArray(value)) wrong('a list');
      else for (const [i, item] of value.entries()) stack.push([item, array[1], `${path}/${i}`]);
    } else if (map) {
      if (!isObject(value)) wrong('a map');
      else for (const [k, v] of Object.entries(value)) stack.push([v, map[1], `${path}/${k}`]);
    } else if (model) {
      if (!isObject(value)) {
        wrong('an object');
        continue;
      }
      const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
      for (const [k, v] of Object.entries(value)) {
        const fieldType = fields.get(k);
        if (fieldType === undefined) problems.push(`${path}/${k}: unknown field of ${type}`);
        else stack.push([v, fieldType, `${path}/${k}`]);
      }
    }
    // anything else ('any', free-form objects, enumerations kept as names) is left to kubernetes-models
  }
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Validated = new (data: never) => { validate(): void };

/** The kubernetes-models class of each object type deploy/ uses. */
const SCHEMA_MODELS: Record<string, Validated> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

/** The OpenAPI schema's verdict (types, required fields, formats, enumerations): undefined when valid. */
export function schemaProblem(doc: KubernetesObject): string | undefined {
  const Model = SCHEMA_MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) return `${doc.apiVersion} ${doc.kind}: not an object type these tests know`;
  try {
    new Model(doc as never).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
