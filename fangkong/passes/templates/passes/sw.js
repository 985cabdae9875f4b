{% load static %}// Service worker of the checkpoint page: the page, its scripts, the public keys and the
// revocation list come from the network when there is one, and from this cache when there is not.
const CACHE = "{{ version }}";
const ASSETS = ["{% static 'passes/checkpoint.js' %}", "{% static 'passes/checkpoint.css' %}", "{% static 'vendor/jsQR-1.4.0.js' %}", "{% static 'favicon.svg' %}", "{% static 'passes/icons/icon-192.png' %}"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  // Network first, so a fresh revocation list always wins; the cache answers offline.
  event.respondWith(
    fetch(request).then((response) => {
      if (response.ok && !url.pathname.includes("/lookup/") && !url.pathname.includes("/photo/")) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request).then((hit) => hit || new Response("offline", { status: 503 })))
  );
});
