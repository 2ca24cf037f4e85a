/** The client address: the socket peer, or X-Forwarded-For when the peer is a trusted proxy. */
import { socketAddress } from '../runtime.ts';

function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function clientIpResolver(trustedProxies: readonly string[]): (request: Request) => string {
  const trusted = new Set(trustedProxies.map(normalize));
  return function clientIp(request: Request): string {
    const peer = socketAddress(request);
    const direct = peer ? normalize(peer) : 'unknown';
    if (!trusted.size || !trusted.has(direct)) return direct;
    const forwarded = request.headers.get('x-forwarded-for');
    if (!forwarded) return direct;
    // Walk from the nearest hop back; the first address that is not a trusted proxy is the client.
    const hops = forwarded
      .split(',')
      .map((h) => normalize(h.trim()))
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!.slice(0, 64);
    return direct;
  };
}
