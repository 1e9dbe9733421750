import ts from 'typescript';
import type { K8sObject } from './kustomize';

/**
 * Fields the Kubernetes API does not know, as `kubectl apply` (strict field validation) would refuse
 * them. The JSON schemas that kubernetes-models validates against allow unknown properties, so a
 * misspelt field (`readinesProbe`) would pass them and be dropped by an API server that did not
 * refuse it; the package's TypeScript declarations list every field, so they are walked here with
 * the compiler's type checker.
 */
export function unknownFields(objects: K8sObject[]): string[] {
  const files = objects.map((o) => require.resolve(`kubernetes-models/${o.apiVersion}/${o.kind}`).replace(/\.js$/, '.d.ts'));
  const program = programFor(files);
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  objects.forEach((obj, i) => {
    const where = `${obj.kind} ${obj.metadata.name}`;
    const decl = program
      .getSourceFile(files[i])
      ?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${obj.kind}`);
    if (!decl) problems.push(`${where}: no declaration of I${obj.kind}`);
    else walk({ checker, problems }, obj, checker.getTypeAtLocation(decl.name), where);
  });
  return problems;
}

let cached: ts.Program | undefined;

/** Building a program takes seconds: one is kept, and rebuilt only for declarations it lacks. */
function programFor(files: string[]): ts.Program {
  if (cached && files.every((f) => cached!.getSourceFile(f))) return cached;
  const roots = new Set([...(cached?.getRootFileNames() ?? []), ...files]);
  cached = ts.createProgram([...roots], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    noEmit: true,
    skipLibCheck: true,
  });
  return cached;
}

interface Walk {
  checker: ts.TypeChecker;
  problems: string[];
}

function walk(w: Walk, value: unknown, declared: ts.Type, path: string): void {
  const type = w.checker.getNonNullableType(declared);
  if (Array.isArray(value)) {
    if (!w.checker.isArrayType(type)) return;
    const [item] = w.checker.getTypeArguments(type as ts.TypeReference);
    value.forEach((v, i) => walk(w, v, item, `${path}[${i}]`));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const entries = Object.entries(value);
  // A union of object shapes: the one that knows every key present, else the first, to report against.
  const shapes = type.isUnion() ? type.types.filter((t) => t.flags & ts.TypeFlags.Object) : [type];
  if (!shapes.length) return;
  const shape = shapes.find((s) => entries.every(([k]) => w.checker.getPropertyOfType(s, k))) ?? shapes[0];
  const map = w.checker.getIndexInfoOfType(shape, ts.IndexKind.String);
  for (const [key, v] of entries) {
    const prop = w.checker.getPropertyOfType(shape, key);
    if (prop) walk(w, v, w.checker.getTypeOfSymbol(prop), `${path}.${key}`);
    else if (map) walk(w, v, map.type, `${path}.${key}`);
    else w.problems.push(`${path}.${key}`);
  }
}
