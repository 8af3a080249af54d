// Entry of the lab's page: registers the lit components and the service worker.
import './components/lab-app.ts';

// The service worker (vite-plugin-pwa, generateSW) precaches the app shell and
// the bundled models so the lab starts offline; datasets live in IndexedDB.
// Registered from this module rather than an inline script: the CSP allows
// scripts from 'self' only. Not in dev, where Vite serves modules live.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  addEventListener('load', () => {
    navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL }).catch((e: unknown) => {
      // Offline use is lost, nothing else: the lab still runs online.
      console.warn('service worker registration failed:', e);
    });
  });
}
