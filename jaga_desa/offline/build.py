"""`jaga-desa build-app --out DIR`: the field app as an installable offline web app.

Everything the phone needs ends up in DIR, from registry packages only, with no network at
run time:

- Flet's web client and Pyodide from the `flet-web` wheel (PyPI; its Pyodide is the npm
  `pyodide` package's), CanvasKit and fonts included, forced to the CanvasKit renderer so
  the unused Wasm build and its renderers stay out;
- the app's own Python (core, forms, fieldapp, sync, and the browser entry
  `jaga_desa/offline/entry.py`) in `app.tar.gz`, with its pure-Python dependencies in
  `__pypackages__/` copied from the installed distributions (their compiled speed-ups
  dropped: msgpack and charset-normalizer fall back to their own pure-Python code);
- `noble.js`: @noble/curves, @noble/ciphers and @noble/hashes from npm (`npm ci` against
  the committed package-lock.json, which records each package's integrity), bundled with
  esbuild — the browser backend of core/crypto. Its SHA-384 is in `integrity.json` with
  every other file's;
- `sw.js`: a service worker that precaches every file of the build and serves it cache
  first, under a cache named for the build's content hash, so a new build replaces the
  old one cleanly. Flutter's own service worker (which unregisters itself) is left out and
  the loader no longer registers it.

Two fixes to flet-web's files that `flet publish` would need as well: the module worker
cannot resolve the bare `pyodide/pyodide.mjs` flet writes with `no_cdn`, so the page gets
an absolute URL; and the worker imports noble.js before Pyodide starts.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from core.errors import BuildFailed as BuildError

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOBLE = HERE / "noble"
CACHE = Path.home() / ".cache" / "jaga-desa" / "build-app"
MARKER = ".jaga-desa-app"
# The app's own packages; the office and the jaga-desa command stay out.
APP_PACKAGES = ("core", "forms", "fieldapp", "sync")
APP_FILES = ("jaga_desa/__init__.py", "jaga_desa/offline/__init__.py", "jaga_desa/offline/entry.py",
             "jaga_desa/offline/storage.py", "jaga_desa/offline/background.py")
# What the field app imports in the browser, and what those import (flet's own list on
# Emscripten leaves out httpx and oauthlib).
DISTRIBUTIONS = ("flet", "flet-geolocator", "flet-audio-recorder", "flet-audio", "msgpack", "repath", "six", "typing-extensions",
                 "sqlite-utils", "click", "click-default-group", "sqlite-fts4", "tabulate",
                 "python-dateutil", "pluggy", "requests", "urllib3", "idna", "charset-normalizer",
                 "certifi")
# Not needed by the browser app: the Wasm/skwasm build (CanvasKit is forced), debug symbols,
# source maps, the Node/CLI parts of Pyodide, Flutter's self-unregistering service worker.
SKIP_SUFFIXES = (".symbols", ".map", ".d.ts")
SKIP_NAMES = {"main.dart.wasm", "main.dart.mjs", "flutter_service_worker.js", "python", "python.bat",
              "python-worker.js", "python_stdlib.zip",
              "python.exe", "python_cli_entry.mjs", "package.json"}
SKIP_DIRS = {"experimental_webparagraph"}
SKIP_PREFIXES = ("skwasm", "wimp")
# Read by no one at run time: type stubs, docs.
RUNTIME_UNUSED = (".pyi", ".md", ".dart", "py.typed")


@dataclass(frozen=True)
class Built:
    out: Path
    version: str             # the content hash that names the service worker's cache
    files: int
    bytes: int


def _flet_web() -> Path:
    import flet_web
    return Path(flet_web.__file__).resolve().parent / "web"


def pyodide_dir() -> Path:
    """The Pyodide flet-web ships: npm's `pyodide` package, byte for byte."""
    return _flet_web() / "pyodide"


def pyodide_version() -> str:
    """Its release (its npm package.json says which)."""
    return json.loads((pyodide_dir() / "package.json").read_text())["version"]


def _keep(rel: Path) -> bool:
    name = rel.name
    if name in SKIP_NAMES or name.endswith(SKIP_SUFFIXES) or SKIP_DIRS & set(rel.parts):
        return False
    if rel.parts[0] == "pyodide" and name.endswith(".whl"):
        return False                # micropip and its packaging: nothing is installed at run time
    return not (rel.parts[0] == "canvaskit" and name.startswith(SKIP_PREFIXES))


def _copy_client(out: Path) -> None:
    web = _flet_web()
    for src in sorted(web.rglob("*")):
        rel = src.relative_to(web)
        if src.is_file() and _keep(rel):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out / rel)
    assets = ROOT / "fieldapp" / "assets"          # Flet serves an app's assets from the web root
    for src in sorted(assets.rglob("*")):
        if src.is_file():
            (out / src.relative_to(assets)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out / src.relative_to(assets))


def noble_bundle() -> bytes:
    """noble.js, built from npm (cached by the lock file's hash: the same lock, the same bytes)."""
    lock = (NOBLE / "package-lock.json").read_bytes()
    entry = (NOBLE / "entry.mjs").read_bytes()
    work = CACHE / ("noble-" + hashlib.sha256(lock + entry).hexdigest()[:16])
    bundle = work / "noble.js"
    if bundle.exists():
        return bundle.read_bytes()
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is needed to bundle the @noble libraries (apt-get install npm)")
    work.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "entry.mjs"):
        shutil.copy2(NOBLE / name, work / name)
    _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], work)
    _run([str(work / "node_modules" / ".bin" / "esbuild"), "entry.mjs", "--bundle", "--format=esm",
          "--minify", "--legal-comments=inline", "--outfile=noble.tmp.js"], work)
    (work / "noble.tmp.js").replace(bundle)
    return bundle.read_bytes()


def _run(argv: list[str], cwd: Path) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"{Path(argv[0]).name} failed: {(done.stderr or done.stdout)[-800:]}")


def _distribution_files(name: str):
    dist = metadata.distribution(name)
    for f in dist.files or ():
        parts = Path(str(f)).parts
        if (str(f).endswith((".so", ".pyc")) or "__pycache__" in parts or parts[0] in ("..", "bin")):
            continue
        yield str(f), Path(dist.locate_file(f))


def _tar_add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    tar.addfile(info, io.BytesIO(data))


def _tar_gz(files) -> bytes:
    buf = io.BytesIO()
    # gzip's header carries a time: pinned to 0, the same sources give the same bytes (and version).
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files:
            _tar_add(tar, name, data)
    return buf.getvalue()


def _app_files():
    """(name, bytes) of what the worker unpacks: our packages, the entry module, __pypackages__
    (without type stubs, docs and Flutter sources, which nothing reads at run time)."""
    yield "main.py", b"from jaga_desa.offline.entry import run\n\nrun()\n"
    for pkg in APP_PACKAGES:
        for src in sorted((ROOT / pkg).rglob("*")):
            rel = src.relative_to(ROOT)
            if (src.is_file() and "__pycache__" not in rel.parts and src.suffix not in (".pyc", ".md")
                    and "assets" not in rel.parts):
                yield str(rel), src.read_bytes()
    for rel in APP_FILES:
        yield rel, (ROOT / rel).read_bytes()
    for name in DISTRIBUTIONS:
        for rel, src in _distribution_files(name):
            if not rel.endswith(RUNTIME_UNUSED) and not rel.startswith("flutter/"):
                yield f"__pypackages__/{rel}", src.read_bytes()


def app_archive() -> bytes:
    """The app's Python as sources (tar.gz); the build ships it compiled (`compiled`)."""
    return _tar_gz(_app_files())


# Runs inside Pyodide (pyodide_run.mjs): every .py under /src/<tree> becomes a .pyc next to it
# (unchecked hash: nothing to compare at launch) and the source goes; one that this Python
# cannot compile (test data written in Python 2) stays as it was.
COMPILE = r"""
import os, py_compile
kept = []
for tree, prefix in TREES:
    top = '/src/' + tree
    for base, _, names in os.walk(top):
        for name in names:
            if not name.endswith('.py'):
                continue
            path = os.path.join(base, name)
            rel = os.path.relpath(path, top)
            try:
                py_compile.compile(path, cfile=path + 'c', dfile=prefix + rel, doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            except py_compile.PyCompileError:
                kept.append(rel)
                continue
            os.remove(path)
print('RESULT', len(kept))
"""


def compiled() -> tuple[bytes, bytes]:
    """(app.tar.gz, python_stdlib.zip) holding .pyc compiled by the Pyodide the app runs on.

    Python compiles every module it imports from source unless it finds bytecode, and inside
    Pyodide that compiling was most of the launch: Pyodide's own standard library ships as
    sources. Compiled once here (under Node, by the same Pyodide, so the bytecode's magic
    number is the one it accepts), cached by the inputs' hash: the same sources, the same bytes."""
    source = app_archive()
    stdlib = (pyodide_dir() / "python_stdlib.zip").read_bytes()
    runner = (HERE / "pyodide_run.mjs").read_bytes()
    key = hashlib.sha256(b"\0".join([source, stdlib, runner, COMPILE.encode(), pyodide_version().encode()]))
    work = CACHE / ("pyc-" + key.hexdigest()[:16])
    app, lib = work / "app.tar.gz", work / "python_stdlib.zip"
    if app.exists() and lib.exists():
        return app.read_bytes(), lib.read_bytes()
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is needed to compile the app for Pyodide (apt-get install nodejs)")
    with tempfile.TemporaryDirectory(prefix="build-app-") as tmp:
        root = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(source)) as tar:
            tar.extractall(root / "app", filter="data")
        with zipfile.ZipFile(io.BytesIO(stdlib)) as z:
            z.extractall(root / "stdlib")
        (root / "noble.js").write_bytes(noble_bundle())
        trees = [("app", "/home/pyodide/"), ("stdlib", f"/lib/python{_py_tag()}.zip/")]
        _run([node, str(HERE / "pyodide_run.mjs"), str(pyodide_dir()), str(root / "noble.js"), str(root),
              COMPILE.replace("TREES", repr(trees))], root)
        files = lambda top: sorted((str(p.relative_to(top)), p.read_bytes())  # noqa: E731
                                   for p in top.rglob("*") if p.is_file())
        work.mkdir(parents=True, exist_ok=True)
        app.write_bytes(_tar_gz(files(root / "app")))
        lib.write_bytes(_zip(files(root / "stdlib")))
    return app.read_bytes(), lib.read_bytes()


def _py_tag() -> str:
    """'314' for Pyodide 314.x (its Python 3.14): the name of the standard library's zip."""
    with zipfile.ZipFile(pyodide_dir() / "python_stdlib.zip") as z:
        sysconfig = next(n for n in z.namelist() if n.startswith("_sysconfigdata_"))
        text = z.read(sysconfig).decode()
    version = text.split("'VERSION': '", 1)[1].split("'", 1)[0]
    return version.replace(".", "")


def _zip(files) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _patch_page(out: Path, base: str) -> None:
    from flet.controls.types import WebRenderer
    from flet_web.patch_index import patch_font_manifest_json, patch_index_html, patch_manifest_json

    index = out / "index.html"
    patch_index_html(str(index), base_href=base, pyodide=True, pyodide_script_path="main.py",
                     pyodide_version=pyodide_version(), app_package_url="app.tar.gz",
                     web_renderer=WebRenderer.CANVAS_KIT, no_cdn=True, app_name="Jaga Desa",
                     app_description="Jaga Desa — laporan desa, juga tanpa sinyal")
    page = index.read_text()
    # flet writes a bare specifier with no_cdn, which a module worker's import() cannot resolve.
    page = page.replace('flet.pyodideUrl="pyodide/pyodide.mjs";', f'flet.pyodideUrl="{base}pyodide/pyodide.mjs";')
    if f'flet.pyodideUrl="{base}pyodide/pyodide.mjs";' not in page:
        raise BuildError("flet-web's index.html changed: cannot pin the Pyodide URL")
    # The service worker makes it run offline; with updateViaCache "all" even its update check
    # comes from the HTTP cache for a day (office/offline_app.py: SW_MAX_AGE), so a reload
    # sends nothing to the network; persist() asks the browser never to evict the
    # origin's storage (IndexedDB holds the reports) when space runs low.
    register = ('<script>if ("serviceWorker" in navigator) { navigator.serviceWorker.register('
                f'"{base}sw.js", {{scope: "{base}", updateViaCache: "all"}}); }}\n'
                'if (navigator.storage && navigator.storage.persist) { navigator.storage.persist(); }'
                '</script>\n</head>')
    # Chromium fetches the tab's icon itself, past the service worker: inline, it costs no
    # request at launch.
    icon = 'href="favicon.png"'
    if icon not in page:
        raise BuildError("flet-web's index.html changed: cannot inline the favicon")
    page = page.replace(icon, 'href="data:image/png;base64,' + _b64((out / "favicon.png").read_bytes()) + '"')
    # No other origin, ever: Flutter's web engine adds a <script> from cdn.jsdelivr.net (its rive
    # plugin) at every launch and may ask fonts.gstatic.com for missing glyphs — on a phone
    # with signal that tells a third party the app was opened. The page's policy allows its own
    # origin only (the Python worker, which syncs, is a script of its own and not bound by it).
    csp = ('<meta http-equiv="Content-Security-Policy" content="default-src \'self\' data: blob:; '
           "script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval' blob:; "
           "style-src 'self' 'unsafe-inline'; connect-src 'self' data: blob:; "
           "worker-src 'self' blob:; object-src 'none'; base-uri 'self'\">\n")
    index.write_text(page.replace("</head>", csp + register, 1))
    # The text font, shipped in flet-web: without this entry Flutter asks a CDN and draws no text.
    patch_font_manifest_json(str(out / "assets" / "FontManifest.json"))
    manifest = out / "manifest.json"
    patch_manifest_json(str(manifest), app_name="Jaga Desa", app_description="Laporan desa binaan, juga tanpa sinyal",
                        background_color="#FFFFFF", theme_color="#156548")
    m = json.loads(manifest.read_text())
    m.update(start_url=base, scope=base, id=base)
    manifest.write_text(json.dumps(m, indent=2))
    boot = out / "flutter_bootstrap.js"
    text = boot.read_text()
    start = text.find("    serviceWorkerSettings: {")
    end = text.find("},", start)
    if start < 0 or end < 0:
        raise BuildError("flet-web's flutter_bootstrap.js changed: cannot drop Flutter's service worker")
    boot.write_text(text[:start] + text[end + 2:])
    shutil.copy2(HERE / "worker.js", out / "python-worker.js")
    _start_python_early(out / "python.js")


# python.js creates the Python worker only when Flutter has loaded and asks for the app; this
# creates it as the page loads (Python boots while Flutter and CanvasKit load: worker.js) and
# hands that worker to the first jsConnect.
EARLY_WORKER = """
// Jaga Desa (jaga_desa/offline/build.py): start Python as the page loads, not after Flutter.
flet.earlyWorker = new Worker(
    flet.entrypointBaseUrl.replace(/\\/$/, "") + "/python-worker.js", { type: "module" });
function takeEarlyWorker() {
    const worker = flet.earlyWorker;
    flet.earlyWorker = null;
    return worker;
}
"""


def _start_python_early(python_js: Path) -> None:
    text = python_js.read_text()
    create = "    app.worker = new Worker("
    if text.count(create) != 1:
        raise BuildError("flet-web's python.js changed: cannot start Python early")
    python_js.write_text(EARLY_WORKER + text.replace(create, "    app.worker = takeEarlyWorker() || new Worker("))


def _service_worker(out: Path, base: str, files: list[str], version: str) -> None:
    template = (HERE / "sw.js").read_text()
    sw = (template.replace("__VERSION__", version).replace("__BASE__", base)
          .replace("__FILES__", json.dumps([""] + files)))
    (out / "sw.js").write_text(sw)


def build_app(out: Path, base: str = "/app/") -> Built:
    """Build into `out` (replacing an earlier build there, never any other folder)."""
    base = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    out = out.resolve()
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise BuildError(f"{out} is not empty and not an earlier build: choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("building\n")
    _copy_client(out)
    (out / "noble.js").write_bytes(noble_bundle())
    app, stdlib = compiled()
    (out / "app.tar.gz").write_bytes(app)
    (out / "pyodide" / "python_stdlib.zip").write_bytes(stdlib)
    _patch_page(out, base)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MARKER)
    digests = {f: "sha384-" + _b64(hashlib.sha384((out / f).read_bytes()).digest()) for f in files}
    version = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()[:16]
    (out / "integrity.json").write_text(json.dumps({"version": version, "files": digests}, indent=1))
    _service_worker(out, base, files, version)
    (out / MARKER).write_text(version + "\n")
    total = sum((out / f).stat().st_size for f in files)
    return Built(out, version, len(files), total)


def _b64(raw: bytes) -> str:
    import base64
    return base64.b64encode(raw).decode()
