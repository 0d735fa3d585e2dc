/** Methods the loader stub queues until the script arrives (`consent.*` on `cdp.consent`). */
export const SNIPPET_METHODS = ['init', 'track', 'identify', 'page', 'group', 'alias', 'reset', 'flush', 'use', 'on', 'consent.set', 'consent.optOut'] as const;

/**
 * The copy-paste loader for a `<script>` tag: defines `window.cdp` as a stub
 * that queues calls with the time they were made, then loads the IIFE build
 * asynchronously, which replays them (events keep their original time).
 * Safe to include twice; does nothing once the SDK is loaded.
 */
export function loaderSnippet({ src }: { src: string }): string {
  return (
    '!function(w,d){var c=w.cdp=w.cdp||{q:[]};if(!c.q||c.l)return;c.l=1;c.consent=c.consent||{};' +
    `${JSON.stringify(SNIPPET_METHODS.join(' '))}.split(" ").forEach(function(n){var p=n.split("."),o=p[1]?c.consent:c;` +
    'o[p[1]||n]=function(){c.q.push([n,[].slice.call(arguments),Date.now()])}});' +
    `var s=d.createElement("script");s.async=!0;s.src=${JSON.stringify(src)};d.head.appendChild(s)}(window,document);`
  );
}
