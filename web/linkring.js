// A short client-side ring of link samples per site, for the sparklines; seeded
// from the hub's link-history route when a site's detail view opens.

/** Per-site ring of the last RING samples {at, rtt_ms, loss_pct, state}, oldest first. */
export const RING = 60;
export class LinkHistory {
  constructor() {
    this.rings = new Map();
  }

  get(code) {
    return this.rings.get(code) || [];
  }

  push(code, at, link) {
    let ring = this.rings.get(code);
    if (!ring) this.rings.set(code, (ring = []));
    if (ring.length && ring[ring.length - 1].at >= at) return; // already have it (seeded)
    ring.push({ at, rtt_ms: link.rtt_ms ?? null, loss_pct: link.loss_pct ?? null, state: link.state || "unknown" });
    if (ring.length > RING) ring.splice(0, ring.length - RING);
  }

  /** Seeds a site's ring from the link-history route's samples (oldest first). */
  seed(code, samples) {
    const ring = samples.slice(-RING).map((x) => ({
      at: x.at, rtt_ms: x.rtt_ms ?? null, loss_pct: x.loss_pct ?? null, state: x.state || "unknown",
    }));
    const last = ring.length ? ring[ring.length - 1].at : 0;
    for (const x of this.get(code)) if (x.at > last) ring.push(x);
    this.rings.set(code, ring.slice(-RING));
  }
}
