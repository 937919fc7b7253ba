/**
 * The coarse class of a viewer's device, read from the User-Agent header: enough for a fairness
 * audit to ask whether one group of viewers is treated worse, too coarse to single anyone out. Only
 * the class is ever kept; the User-Agent string itself is never stored or logged (it is a
 * fingerprinting aid).
 *
 * Plain substring checks on a bounded prefix, no regular expressions: a client controls the header,
 * so the work per request stays small and fixed however long it sends it.
 */

export const DEVICE_CLASSES = ['ios', 'android', 'desktop', 'other'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/** The platform tokens sit near the start of a User-Agent; what comes after is not looked at. */
const MAX_LOOKED_AT = 512;

/**
 * The device class of a User-Agent: iPhone, iPad and iPod (and iPadOS Safari, which asks for desktop
 * pages as "Macintosh" but keeps the `Mobile/` token) → ios; Android → android (checked before the
 * desktop tokens: Android UAs say "Linux" too); Windows NT, Macintosh, X11 (Linux and BSD desktops)
 * and CrOS → desktop; anything else, or no header → other.
 */
export function deviceClassOf(userAgent: string | undefined): DeviceClass {
  if (typeof userAgent !== 'string' || userAgent.length === 0) return 'other';
  const ua = userAgent.length > MAX_LOOKED_AT ? userAgent.slice(0, MAX_LOOKED_AT) : userAgent;
  if (ua.includes('iPhone') || ua.includes('iPad') || ua.includes('iPod')) return 'ios';
  if (ua.includes('Macintosh') && ua.includes('Mobile/')) return 'ios';
  if (ua.includes('Android')) return 'android';
  if (ua.includes('Windows NT') || ua.includes('Macintosh') || ua.includes('X11') || ua.includes('CrOS')) return 'desktop';
  return 'other';
}
