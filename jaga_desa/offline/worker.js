// The offline app's Python worker, written into the build as python-worker.js in place of
// flet-web's (jaga_desa/offline/build.py). It speaks the same protocol with Flet's page
// (python.js: the first message starts the app, "initialized" or an error string answers
// it, every other message is a Flet packet either way), but it is built for a launch with
// no network:
// - the page creates it as soon as python.js loads, so Python boots while Flutter and
//   CanvasKit are still loading, not after (build.py patches python.js for that);
// - Pyodide's standard library and the app archive hold .pyc compiled at build time by this
//   very Pyodide, so nothing is compiled from source at launch;
// - the archive is unpacked by Pyodide's own unpackArchive and the modules the lock screen
//   needs are imported (entry.preload) before the page asks for the app;
// - nothing is installed at launch: every package the app needs is inside the archive.
// Each phase logs "jaga-boot PHASE EPOCH_MS" to the console: bench/offline_bench.py reads
// them to say where launch time goes.
import "./noble.js"; // core/crypto_web.py: globalThis.jagaCrypto
import { loadPyodide } from "./pyodide/pyodide.mjs";

const mark = (phase) => console.log(`jaga-boot ${phase} ${Date.now()}`);
mark("worker");

const fletJs = {};
self.flet_js = fletJs;

function send(message) {
  // A Python bytes as a JsProxy: a fresh Uint8Array whose buffer is handed over, not copied.
  const bytes = message.toJs();
  self.postMessage(bytes, [bytes.buffer]);
}
fletJs.receive_callback = send;

const booted = (async () => {
  const pyodide = await loadPyodide({ stdout: (t) => console.log(t), stderr: (t) => console.error(t) });
  mark("pyodide");
  pyodide.registerJsModule("flet_js", fletJs);
  const archive = await fetch(new URL("app.tar.gz", import.meta.url));
  if (!archive.ok) throw new Error(`app.tar.gz: HTTP ${archive.status}`);
  pyodide.unpackArchive(await archive.arrayBuffer(), "gztar");
  mark("unpacked");
  await pyodide.runPythonAsync(
    "import sys\nsys.path.insert(0, '__pypackages__')\nfrom jaga_desa.offline.entry import preload\npreload()");
  mark("imported");
  return pyodide;
})();
booted.catch(() => {}); // reported to the page with its first message

let started = false;
self.onmessage = async (event) => {
  if (started) {
    if (typeof fletJs.send === "function") fletJs.send(event.data);
    else console.error("Flet: dropped a message for a Python app that never started.");
    return;
  }
  started = true;
  try {
    const pyodide = await booted;
    fletJs.args = event.data.args;
    fletJs.documentUrl = event.data.documentUrl;
    await pyodide.runPythonAsync("import runpy\nrunpy.run_module('main', run_name='__main__')");
    if (typeof fletJs.start_connection !== "function") throw new Error("the app did not start Flet (ft.run)");
    await fletJs.start_connection(send);
    mark("connected");
    self.postMessage("initialized");
  } catch (error) {
    self.postMessage(String(error));
  }
};
