/**
 * The code's architecture as rules on its files: the import graph of main.ts, stacks/, modules/ and
 * tools/ (stacks wire, modules build, tools are leaves; no cycles; the layers of modules/ import
 * downward only), provider packages imported by module, files of a readable size, and tests laid out
 * as the code (docs/development.md). Each rule lists every file that breaks it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(__dirname, "..", "..");

/** The project's source folders; main.ts besides. */
const SOURCE_FOLDERS = ["modules", "stacks", "tools"] as const;
/** The most lines a source file of modules/, stacks/ or tools/ may have: past it, it is several files. */
const MAX_LINES = 400;
/**
 * The layers of modules/ and those each may import: the layers beneath it. settings/ is the base,
 * aws/ and mesh/ build on it, manifests/ (the model and its checks) knows the mesh variants, and
 * shopfront/ brings the manifests and the mesh together.
 */
const MODULE_LAYERS: Readonly<Record<string, readonly string[]>> = {
  settings: [],
  aws: ["settings"],
  mesh: ["settings"],
  manifests: ["settings", "mesh"],
  shopfront: ["settings", "mesh", "manifests"],
};

/** Every .ts and .js file under `dir`, relative to the project root, with `/` separators. */
function filesUnder(dir: string, pattern = /\.(ts|js)$/): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

const sources = ["main.ts", ...SOURCE_FOLDERS.flatMap((folder) => filesUnder(folder))];

/** The file a relative specifier names, as TypeScript and Node resolve it, if it is a project file. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  return [base, `${base}.ts`, `${base}.js`, `${base}/index.ts`, `${base}/index.js`].find(
    (candidate) =>
      sources.includes(candidate) ||
      // A tool that writes the docs' samples may run the tests' stand-ins (the loopback mesh).
      (candidate.startsWith("__tests__/") && existsSync(path.join(root, candidate))),
  );
}

interface Imports {
  /** The project files it imports (static, dynamic, type-only and require alike). */
  readonly files: readonly string[];
  /** The package specifiers it imports, as written. */
  readonly packages: readonly string[];
}

/** What each source file imports, read by TypeScript's own scanner. */
const importsOf: ReadonlyMap<string, Imports> = new Map(
  sources.map((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(root, file), "utf8"), true, true);
    const specifiers = importedFiles.map((imported) => imported.fileName);
    const relative = specifiers.filter((specifier) => specifier.startsWith("."));
    const files = relative.map(
      (specifier) => resolveRelative(file, specifier) ?? `${specifier} (unresolved)`,
    );
    const packages = specifiers.filter(
      (specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:"),
    );
    return [file, { files, packages }];
  }),
);

/** Every `importer -> imported` edge between project files for which `broken` holds. */
function edgesWhere(broken: (importer: string, imported: string) => boolean): string[] {
  return [...importsOf].flatMap(([importer, { files }]) =>
    files.filter((imported) => broken(importer, imported)).map((imported) => `${importer} -> ${imported}`),
  );
}

/** The import cycles: each strongly connected group of files, as its files in order (Tarjan). */
function importCycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file) as number);
    stack.push(file);
    for (const next of importsOf.get(file)?.files ?? []) {
      if (!importsOf.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number));
      } else if (stack.includes(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      group.push(member);
    } while (member !== file);
    const selfImport = importsOf.get(file)?.files.includes(file) ?? false;
    if (group.length > 1 || selfImport) cycles.push(group.sort());
  };
  for (const file of sources) if (!index.has(file)) visit(file);
  return cycles;
}

const under = (folder: string) => (file: string) => file.startsWith(`${folder}/`);
const layerOf = (file: string) => (under("modules")(file) ? file.split("/")[1] : undefined);

describe("architecture", () => {
  it("reads the sources: main.ts and every file of modules/, stacks/ and tools/", () => {
    expect(sources).toEqual(expect.arrayContaining(["main.ts", "stacks/app.ts", "tools/app.js"]));
    expect(importsOf.get("stacks/app.ts")?.files).toContain("stacks/istio-stack.ts");
    // Type-only and dynamic imports count: inventory.ts imports its schema types with import().
    expect(importsOf.get("modules/manifests/inventory.ts")?.packages).toEqual(
      expect.arrayContaining([expect.stringMatching(/^@kubernetes-models\/istio\//)]),
    );
  });

  it("resolves every relative import to a project file", () => {
    expect(edgesWhere((_, imported) => imported.endsWith("(unresolved)"))).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(importCycles()).toEqual([]);
  });

  it("keeps modules/ below the stacks and the tools: no file of modules/ imports stacks/ or tools/", () => {
    expect(
      edgesWhere((from, to) => under("modules")(from) && (under("stacks")(to) || under("tools")(to))),
    ).toEqual([]);
  });

  it("keeps the tools leaves: neither stacks/ nor main.ts imports tools/", () => {
    expect(
      edgesWhere((from, to) => (under("stacks")(from) || from === "main.ts") && under("tools")(to)),
    ).toEqual([]);
  });

  it("keeps the tests' stand-ins out of the app: only tools/ may import __tests__/", () => {
    expect(
      edgesWhere((importer, imported) => !under("tools")(importer) && under("__tests__")(imported)),
    ).toEqual([]);
  });

  it("keeps the layers of modules/ in order: each imports only the layers beneath it", () => {
    expect(Object.keys(MODULE_LAYERS).sort()).toEqual(
      [...new Set(sources.map(layerOf).filter((layer) => layer !== undefined))].sort(),
    );
    expect(
      edgesWhere((from, to) => {
        const [fromLayer, toLayer] = [layerOf(from), layerOf(to)];
        if (fromLayer === undefined || toLayer === undefined || fromLayer === toLayer) return false;
        return !MODULE_LAYERS[fromLayer].includes(toLayer);
      }),
    ).toEqual([]);
  });

  it("imports each provider's resources from their own modules, never a provider package's root", () => {
    const roots = [...importsOf].flatMap(([file, { packages }]) =>
      packages
        .filter((specifier) => /^@cdktf\/provider-[^/]+$/.test(specifier))
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(roots).toEqual([]);
  });

  it(`has no .ts or .js file in modules/, stacks/ or tools/ over ${MAX_LINES} lines`, () => {
    const long = sources
      .filter((file) => SOURCE_FOLDERS.some((folder) => under(folder)(file)))
      .map((file) => ({
        file,
        lines: (readFileSync(path.join(root, file), "utf8").match(/\n/g) ?? []).length,
      }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it("lays the tests out as the code: each test file outside policies/ tests the source file at its path", () => {
    const unmatched = filesUnder("__tests__", /\.test\.ts$/)
      .filter((test) => !test.startsWith("__tests__/policies/"))
      .filter((test) => {
        const source = test.replace(/^__tests__\//, "").replace(/\.test\.ts$/, "");
        return !existsSync(path.join(root, `${source}.ts`)) && !existsSync(path.join(root, `${source}.js`));
      });
    expect(unmatched).toEqual([]);
  });
});
