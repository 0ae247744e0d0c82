/**
 * `import(specifier)` for code the CLI bundle carries. The bundled CLI runs as a script compiled
 * with a V8 code cache (src/cli/code-cache.ts), where Node has no loader for `import()`; there the
 * loader passes `__floodgateImport`, an `import()` of the ES module that loaded the bundle. Anywhere
 * else (the library, the compare worker, source) it is the plain `import()`. Specifiers are bare
 * package names or absolute URLs, so both resolve them alike.
 */
declare const __floodgateImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule(specifier: string): Promise<unknown> {
  return typeof __floodgateImport === 'function' ? __floodgateImport(specifier) : import(specifier);
}
