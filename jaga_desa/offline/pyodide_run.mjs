// Run Python inside Pyodide under Node, with the offline app's noble bundle loaded: the
// same Pyodide (flet-web's, which is npm's `pyodide` package) and the same core/crypto_web
// backend as the browser app. Used by tests/sync/test_vectors_pyodide.py,
// bench/offline_bench.py, and build.py (to compile the app's Python with this Pyodide).
//
//   node pyodide_run.mjs PYODIDE_DIR NOBLE_JS SOURCE_ROOT CODE
//
// SOURCE_ROOT is mounted at /src (first on sys.path); CODE runs there, its stdout printed.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, nobleJs, sourceRoot, code] = process.argv.slice(2);
await import(pathToFileURL(path.resolve(nobleJs)).href);          // sets globalThis.jagaCrypto
const { loadPyodide } = await import(pathToFileURL(path.join(path.resolve(pyodideDir), "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: path.resolve(pyodideDir) + path.sep });
py.FS.mkdirTree("/src");
py.FS.mount(py.FS.filesystems.NODEFS, { root: path.resolve(sourceRoot) }, "/src");
py.runPython("import sys; sys.path.insert(0, '/src'); sys.dont_write_bytecode = True");
await py.runPythonAsync(code);
