// Jaga Desa offline app: precache every file of this build, serve them cache-first.
// Written by `jaga-desa build-app` (jaga_desa/offline/build.py), which fills in the build's
// content hash, its base path and its file list. A new build is a new cache name: it is
// filled completely before it takes over, and the old one is deleted on activation.
const VERSION = "__VERSION__";
const BASE = "__BASE__";
const CACHE = "jaga-desa-app-" + VERSION;
const FILES = __FILES__.map((f) => BASE + f);

// Chromium (ServiceWorkerAutoPreload, on by default since 140) begins a navigation's network
// request in parallel with the fetch handler — seen here at the first launch after the browser
// restarts, while the worker starts — and throws the answer away once the handler answers from
// the cache: whenever the worker lost that race, the office saw `GET /app/` (304) at the launch.
// A static route sending navigations to the fetch handler is the opt-out the spec defines
// (w3c/ServiceWorker#1756). A browser without the static routing API (or refusing the rule)
// installs the app all the same: it only goes without the opt-out.
function routeNavigationsToTheHandler(event) {
  try {
    return Promise.resolve(event.addRoutes?.({ condition: { requestMode: "navigate" }, source: "fetch-event" }))
      .catch(() => undefined);
  } catch {
    return Promise.resolve();
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(Promise.all([
    routeNavigationsToTheHandler(event),
    caches.open(CACHE).then((cache) => cache.addAll(FILES)),
  ]).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("jaga-desa-app-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith(BASE)) {
    return;                                  // the office's API and everything else: the network
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // Flutter and Pyodide add ?v=... to some URLs; the build names each file once.
    const hit = await cache.match(event.request, { ignoreSearch: true })
      || (event.request.mode === "navigate" ? await cache.match(BASE) : undefined);
    return hit || fetch(event.request);
  })());
});
