// A sandbox worker: loads Pyodide, then runs Python programs sent as JSON lines on stdin and
// answers each with one JSON line on stdout. It runs under Node's permission model (see pool.ts):
// read access to the Pyodide package and this file only, nothing else.
import { createInterface } from "node:readline";

const t0 = performance.now();
const { indexURL } = JSON.parse(process.argv[2] ?? "{}");
// Pyodide's start-up asks process.binding("constants"), which the permission model refuses:
// give it the constants alone.
const original = process.binding;
process.binding = (name) => {
  if (name === "constants") {
    const os = process.getBuiltinModule("node:os");
    const fs = process.getBuiltinModule("node:fs");
    return { fs: fs.constants, os: os.constants };
  }
  return original.call(process, name);
};
const { loadPyodide } = await import(`${indexURL}pyodide.mjs`);
const write = process.stdout.write.bind(process.stdout);
const pyodide = await loadPyodide({ indexURL, jsglobals: {}, stdout: () => {}, stderr: () => {} });
pyodide.runPython(HARNESS());
const run = pyodide.globals.get("__bench_run");
write(`${JSON.stringify({ ready: true, loadMs: Math.round(performance.now() - t0) })}\n`);

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let job;
  try {
    job = JSON.parse(line);
  } catch {
    continue;
  }
  let answer;
  try {
    const result = run(String(job.program));
    const [status, exception, message] = result.toJs();
    result.destroy();
    answer = { id: job.id, status, exception, message };
  } catch (error) {
    // A JavaScript error out of Pyodide (e.g. a refused spawn inside os.system) leaves it unusable.
    write(
      `${JSON.stringify({ id: job.id, status: "error", exception: "SandboxError", message: String(error).slice(0, 500), fatal: true })}\n`,
    );
    process.exit(1);
  }
  write(`${JSON.stringify(answer)}\n`);
}

function HARNESS() {
  return `
import builtins, os, sys

# The JS bridges go before any program runs: with them, Python reaches JavaScript (and from there
# what the permission model still allows). Pyodide's own calls from JS do not need these imports.
for name in [m for m in list(sys.modules) if m == "js" or m.startswith(("pyodide", "_pyodide", "micropip"))]:
    sys.modules[name] = None
for name in ("js", "pyodide_js", "pyodide", "pyodide.code", "pyodide.ffi", "pyodide.http",
             "pyodide.webloop", "pyodide.console", "_pyodide", "_pyodide_core", "micropip"):
    sys.modules[name] = None

_modules = dict(sys.modules)
_builtins = dict(builtins.__dict__)
_path = list(sys.path)
_limit = sys.getrecursionlimit()
_cwd = os.getcwd()

def __bench_run(source):
    scope = {"__name__": "__main__", "__builtins__": builtins}
    try:
        try:
            exec(compile(source, "<program>", "exec"), scope)
        except AssertionError as error:
            return ("failed", "AssertionError", str(error)[:500])
        except BaseException as error:
            return ("error", type(error).__name__, str(error)[:500])
        return ("passed", None, None)
    finally:
        # What one program changes does not reach the next.
        sys.modules.clear()
        sys.modules.update(_modules)
        builtins.__dict__.clear()
        builtins.__dict__.update(_builtins)
        sys.path[:] = _path
        sys.setrecursionlimit(_limit)
        os.chdir(_cwd)
`;
}
