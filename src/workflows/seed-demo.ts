/**
 * Seeds the demo brand and the live session `demo` once: a bilingual baby-care catalogue validated
 * like any import. Runs again harmlessly: existing data is left as it is.
 */
import { systemContext } from '../context/index.js';
import { unwrap } from '../errors/index.js';
import { DEMO_BRAND_ID, loadDemoCatalogue, type CatalogueService } from '../modules/catalogue/index.js';
import type { LiveRoomService } from '../modules/live-room/index.js';

export const DEMO_SESSION_ID = 'demo';

export async function seedDemo(catalogue: CatalogueService, liveRoom: LiveRoomService): Promise<{ seeded: boolean }> {
  const ctx = systemContext('demo seed');
  let seeded = false;
  if (!(await catalogue.getBrand(DEMO_BRAND_ID))) {
    const demo = loadDemoCatalogue();
    await catalogue.saveBrand(ctx, demo.brand, demo.faqs);
    unwrap(await catalogue.importCatalogue(ctx, DEMO_BRAND_ID, demo.productsJson, 'json'));
    seeded = true;
  }
  if (!(await liveRoom.getSession(DEMO_SESSION_ID))) {
    unwrap(
      await liveRoom.createSession(ctx, {
        id: DEMO_SESSION_ID,
        brandId: DEMO_BRAND_ID,
        title: { zh: '暖芽母婴好物直播间', en: 'NuanYa baby-care live room' },
        posterUrl: '/img/poster.svg',
      }),
    );
    seeded = true;
  }
  return { seeded };
}
