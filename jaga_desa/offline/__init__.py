"""The installable offline app: the field app with its Python running in the browser.

`build.py` (CPython, `jaga-desa build-app`) makes the static app the office serves at
/app/; `entry.py`, `storage.py` and `background.py` run inside it (Pyodide, in Flet's
Python worker) and are the browser's side of the platform seams: where the data lives,
how blocking calls run without threads, how sync runs in the background. The crypto seam
is core/crypto.py. Nothing here is imported on CPython except build.py."""
