/**
 * Catalogue import across modules: the catalogue imports all rows or none, then every open live room
 * showing a changed product is told (new prices and stock reach viewers before they can order).
 */
import type { RequestContext } from '../context/index.js';
import type { Result } from '../errors/index.js';
import type { CatalogueFormat, CatalogueService, ImportSummary } from '../modules/catalogue/index.js';
import type { LiveRoomService } from '../modules/live-room/index.js';

export async function importCatalogue(
  ctx: RequestContext,
  modules: { catalogue: CatalogueService; liveRoom: LiveRoomService },
  brandId: string,
  content: string,
  format: CatalogueFormat,
): Promise<Result<ImportSummary>> {
  const result = await modules.catalogue.importCatalogue(ctx, brandId, content, format);
  if (result.ok) await modules.liveRoom.refreshProducts(result.value.productIds, { kind: 'products' });
  return result;
}
