// bench/offline_bench.py runs this in Chromium on a page of the installed offline app: the
// app's own Pyodide, noble bundle and compiled app archive (all from the service worker's
// cache), then CODE — the same seal measurement the bench runs on CPython. Returns stdout.
async ({ base, vector, code }) => {
  await import(base + "noble.js");
  const { loadPyodide } = await import(base + "pyodide/pyodide.mjs");
  let out = "";
  const py = await loadPyodide({ stdout: (t) => { out += t + "\n"; } });
  py.unpackArchive(await (await fetch(base + "app.tar.gz")).arrayBuffer(), "gztar");
  py.FS.mkdirTree("/bench/tests/sync/vectors");
  py.FS.writeFile("/bench/tests/sync/vectors/envelope_v1.json", vector);
  await py.runPythonAsync("import sys\nsys.path[:0] = ['/home/pyodide', '/home/pyodide/__pypackages__']\n" + code);
  return out;
}
